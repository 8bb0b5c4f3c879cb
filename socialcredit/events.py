"""Typed, versioned ledger events: a dataclass per entry type and version, and upcasters.

A ledger entry carries a type (past tense, ``DisputeOpened``), the version of its data's
schema (``v``) and the data. The package that writes an entry owns a dataclass for it
(``DisputeOpenedV1``), with the schema in code, and registers it in :data:`EVENTS` by type and
version. A reader hands the registry an entry and gets the typed event back, always in the
latest version the code knows: an old entry is first lifted by its upcasters, one version at a
time (the ledger is append-only, so every schema change ships with the upcaster from the
version before). The ledger itself knows only "an entry of type T, version V".

This module imports nothing of the engine but the errors, so any package may register.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol, Self, TypeVar

from socialcredit.errors import Problem, ValidationError

__all__ = ["EVENTS", "Event", "EventRegistry", "Upcaster"]

#: Lifts the data of version ``n`` of an entry type to version ``n + 1``.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound=type["Event"])


class _EntryLike(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Event:
    """An entry's data as a typed value. Subclasses set ``TYPE`` and ``VERSION`` and declare
    one field per key of the data; a field whose JSON shape differs from its Python value
    (a subject ``{"kind", "id"}`` held as a pair) overrides :meth:`to_data` and
    :meth:`from_data`."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]

    def to_data(self) -> dict[str, Any]:
        """The entry's ``data``: one key per field."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The event held by ``data``.

        Raises:
            ValidationError: naming every missing and every unexpected key.
        """
        names = [f.name for f in fields(cls)]
        problems = [Problem(f"data.{n}", "missing") for n in names if n not in data]
        problems += [Problem(f"data.{k}", "not in the schema") for k in data if k not in names]
        if problems:
            raise ValidationError(f"not a {cls.TYPE} v{cls.VERSION} entry", problems)
        return cls(**{n: data[n] for n in names})


class EventRegistry:
    """Event classes by ``(type, version)``, and the upcasters between versions."""

    def __init__(self) -> None:
        self._classes: dict[tuple[str, int], type[Event]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: E) -> E:
        """Register an event class (use as a class decorator).

        Raises:
            ValueError: if the type is not CamelCase or the type and version are taken.
        """
        key = (cls.TYPE, cls.VERSION)
        if not cls.TYPE[:1].isupper() or not cls.TYPE.isalnum():
            raise ValueError(f"event type {cls.TYPE!r} must be CamelCase")
        if key in self._classes:
            raise ValueError(f"{cls.TYPE} v{cls.VERSION} is already registered")
        self._classes[key] = cls
        return cls

    def upcaster(self, type_: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register the function lifting ``type_``'s data from ``from_version`` to the next.

        Raises:
            ValueError: if one is registered already.
        """

        def register(function: Upcaster) -> Upcaster:
            if (type_, from_version) in self._upcasters:
                raise ValueError(f"{type_} v{from_version} already has an upcaster")
            self._upcasters[(type_, from_version)] = function
            return function

        return register

    def latest(self, type_: str) -> int | None:
        """The newest version of ``type_`` with a class, or None for an unknown type."""
        versions = [v for (t, v) in self._classes if t == type_]
        return max(versions) if versions else None

    def types(self) -> frozenset[str]:
        """The entry types with a registered class."""
        return frozenset(t for t, _ in self._classes)

    def read(self, type_: str, version: int, data: Mapping[str, Any]) -> Event:
        """The typed event of an entry, lifted to the latest version.

        Raises:
            ValidationError: naming ``type`` if no class is registered for it, ``v`` if the
                version is newer than the code or an upcaster is missing, and each bad key of
                the data.
        """
        latest = self.latest(type_)
        if latest is None:
            raise ValidationError("unknown event", [Problem("type", f"{type_!r} has no class")])
        if version > latest:
            reason = f"{type_} v{version} is newer than this code (v{latest})"
            raise ValidationError("unknown event version", [Problem("v", reason)])
        lifted = dict(data)
        for v in range(version, latest):
            upcast = self._upcasters.get((type_, v))
            if upcast is None:
                reason = f"no upcaster from {type_} v{v} to v{v + 1}"
                raise ValidationError("unknown event version", [Problem("v", reason)])
            lifted = upcast(lifted)
        return self._classes[(type_, latest)].from_data(lifted)

    def read_entry(self, entry: _EntryLike) -> Event:
        """:meth:`read` for a decoded ledger entry (anything with ``type``, ``version``,
        ``data``).

        Raises:
            ValidationError: as :meth:`read`.
        """
        return self.read(entry.type, entry.version, entry.data)


#: The registry the packages register their events in.
EVENTS = EventRegistry()
