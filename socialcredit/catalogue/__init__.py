"""The catalogue: what may be recorded, the guardrails around it, and record validation.

Three pieces of engine data bound every catalogue a policy bundle may hold: the closed conduct
taxonomy (:mod:`.taxonomy`: categories, contexts, authority kinds), the legal-basis registry
(:mod:`.legal_basis`: what each article authorises) and the prohibited-grounds firewall
(:mod:`.firewall`: the word screen). Load a catalogue (the shipped default or a policy
bundle's) and validate incoming records:

    >>> from datetime import UTC, datetime
    >>> from socialcredit.catalogue import default_catalogue, make_uscc
    >>> catalogue = default_catalogue()
    >>> record = catalogue.validate(
    ...     {"subject_id": make_uscc("110105", 1), "subject_kind": "organisation",
    ...      "kind": "wage_arrears", "occurred_at": "2024-03-01",
    ...      "source": "labour_inspectorate:beijing", "evidence": "京人社监察罚〔2024〕12号"},
    ...     now=datetime(2025, 1, 1, tzinfo=UTC),
    ... )
    >>> record.payload()["occurred_at"]
    '2024-03-01T00:00:00Z'

A record's ``source`` is ``<authority kind>:<name>``; the authority kind must be one that may
establish the kind's category, and ``evidence`` must be a reference of its form
(:mod:`.sources`). Loading raises :class:`~socialcredit.errors.CatalogueError` listing every
problem; validation raises :class:`~socialcredit.errors.RecordRefusedError` listing every
problem.
"""

from socialcredit.catalogue._batch import (
    EncodedRecord,
    rows_to_arrays,
    validate_arrays,
    validate_batch,
    validate_columns,
)
from socialcredit.catalogue._firewall import (
    PROHIBITED_CATEGORIES,
    PROHIBITED_TERMS,
    prohibited_category_reason,
    screen,
    term_reasons,
)
from socialcredit.catalogue._identifiers import (
    make_resident_id,
    make_uscc,
    mask_subject_id,
    person_facts,
    person_facts_columns,
    subject_key,
    subject_kind_of,
    validate_resident_id,
    validate_uscc,
)
from socialcredit.catalogue._legal_basis import Registry, registry
from socialcredit.catalogue._loader import (
    AMOUNT_UNITS,
    UniqueKeyLoader,
    default_catalogue,
    load_catalogue,
)
from socialcredit.catalogue._model import FieldSpec, Gravity, RecordKind, SubjectKind, ValidRecord
from socialcredit.catalogue._records import RECORD_FIELDS, Catalogue
from socialcredit.catalogue._sources import Source, make_reference
from socialcredit.catalogue._taxonomy import AuthorityKind, Category, Taxonomy, conduct_taxonomy

__all__ = [
    "AMOUNT_UNITS",
    "PROHIBITED_CATEGORIES",
    "PROHIBITED_TERMS",
    "RECORD_FIELDS",
    "AuthorityKind",
    "Catalogue",
    "Category",
    "EncodedRecord",
    "FieldSpec",
    "Gravity",
    "RecordKind",
    "Registry",
    "Source",
    "SubjectKind",
    "Taxonomy",
    "UniqueKeyLoader",
    "ValidRecord",
    "conduct_taxonomy",
    "default_catalogue",
    "load_catalogue",
    "make_reference",
    "make_resident_id",
    "make_uscc",
    "mask_subject_id",
    "person_facts",
    "person_facts_columns",
    "prohibited_category_reason",
    "registry",
    "rows_to_arrays",
    "screen",
    "subject_key",
    "subject_kind_of",
    "term_reasons",
    "validate_arrays",
    "validate_batch",
    "validate_columns",
    "validate_resident_id",
    "validate_uscc",
]
