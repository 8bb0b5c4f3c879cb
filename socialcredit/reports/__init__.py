"""Reports about a subject that draw on every domain package: the subject access report
(``SubjectReportV1``), the export of the whole file and the logged read of the file.

The report holds the subject's records, disputes, statements, reads and enquiries
(:mod:`socialcredit.rights`), score and contributions (:mod:`socialcredit.scoring`) and list
memberships and decisions (:mod:`socialcredit.consequences`), so it sits above all three in
the layers (``pyproject.toml``). The PDF of it is :mod:`socialcredit.documents`' business;
this package loads no fonts or images. Its module is private; import from here.
"""

from socialcredit.reports._subject import (
    REPORT_VERSION,
    build_report,
    export_file,
    read_file,
    subject_report,
)

__all__ = ["REPORT_VERSION", "build_report", "export_file", "read_file", "subject_report"]
