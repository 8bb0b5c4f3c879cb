"""The roles of the system — importable without the web framework (the CLI needs them)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """The roles of the system (see docs/api.md for what each may do)."""

    ADMIN = "admin"
    SOURCE = "source"
    OFFICER = "officer"
    APPEAL_OFFICER = "appeal_officer"
    SERVICE_POINT = "service_point"
    SUBJECT = "subject"
    AUDITOR = "auditor"
    PUBLIC = "public"
