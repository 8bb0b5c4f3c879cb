"""The roles of the system and the principal (who is calling) — importable without the web
framework (the command line needs them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PUBLIC", "Principal", "Role"]


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


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: role, name, stable account id, own subject, record kinds it may file.

    Attributes:
        role: what the caller may do.
        name: the key's name or the username ("public" for anonymous callers); for a source,
            the registered source its records are filed under.
        subject: ``(kind, id)`` of the caller's own file (subject role), else None.
        allowed_kinds: record kinds a source may file (empty for other roles).
        account: the stable, unique account id (``key:<id>`` or ``user:<username>``) that
            every "who did this" field records and the other-officer rule compares; two
            accounts never share one, whatever their names.
    """

    role: Role
    name: str
    subject: tuple[str, str] | None = None
    allowed_kinds: frozenset[str] = frozenset()
    account: str = "public"


PUBLIC = Principal(Role.PUBLIC, "public")
