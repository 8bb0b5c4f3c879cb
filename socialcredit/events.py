"""Typed, versioned ledger events: a dataclass per entry type and version, and upcasters.

A ledger entry carries a type (past tense, ``DisputeOpened``), the version of its data's
schema (``v``) and the data. The package that writes an entry owns a dataclass for it
(``DisputeOpenedV1``), with the schema in code, and registers it in :data:`EVENTS` by type and
version. A reader hands the registry an entry and gets the typed event back, always in the
latest version the code knows: an old entry is first lifted by its upcasters, one version at a
time (the ledger is append-only, so every schema change ships with the upcaster from the
version before).

Who checks what:

* **The ledger** knows only "an entry of type T, version V": it writes and decodes any entry
  whose type is a CamelCase name and whose version is a positive integer, and refuses the
  rest (:func:`socialcredit.ledger._entries.check_entry_type`). It lists no domain type, so a
  reader that imported only some packages still decodes (and verifies) the whole ledger.
* **The registry** refuses, when a reader asks it for a typed event (:meth:`EventRegistry.read`),
  a type no package registered, a version newer than the code, a version without its chain of
  upcasters, and data that does not match the class (each bad key named). A package's events
  module registers its classes when it is imported, and the package's readers and writers
  import it, so the types a reader asks about are always registered by the time it asks.
* **Writers** build entries from events (``event.to_data()``), so what reaches the ledger is
  the schema by construction. ``to_data()`` gives exactly the data written before the classes
  existed: the canonical bytes, and so the ledger format, do not change.

Data keys map to fields by name; a field named with a trailing underscore (``from_``) holds the
key without it (``from``). A key in a class's ``OPTIONAL`` may be absent from the data (older
entries, or options not taken): its field is None exactly when the key is absent. A key in
``SUBJECTS`` holds a ``{"kind", "id"}`` mapping in the data and a ``(kind, id)`` pair in the
event.

The events modules are ``socialcredit.<package>.events`` for records, policy, rights,
consequences, ratings, notices and agencies. A reader that wants every entry of a ledger typed
(an auditor, an exporter, ``tests/test_events.py``) imports all seven first; a reader of its
own package's entries needs only its own.

The hot record entries (``RecordFiled`` and its lifecycle, :mod:`socialcredit.records.events`)
have classes too, for the schema in code, but ingest, the record index, rescoring and verify
keep reading and writing them as dicts and pre-encoded JSON: building a dataclass per record
would cost more than the rest of their loops. Two other readers keep dicts for now, each for a
layering reason: :mod:`socialcredit.rights._reads` reads ``DecisionMade`` (owned by
consequences, a layer above rights) and :mod:`socialcredit.notices._sources` reads
``DecisionMade`` and ``DisputeOpened`` (importing their modules would close the import cycle
``rights.repair -> notices.sources`` still makes).

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
V = TypeVar("V", bound="Event")


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
    one field per key of the data (see the module docstring for ``OPTIONAL``, ``SUBJECTS``
    and trailing underscores); a field whose JSON shape differs otherwise overrides
    :meth:`to_data` and :meth:`from_data`."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    #: Keys that may be absent from the data; the field is None exactly when they are.
    OPTIONAL: ClassVar[frozenset[str]] = frozenset()
    #: Keys holding a subject: ``{"kind", "id"}`` in the data, a ``(kind, id)`` pair here.
    SUBJECTS: ClassVar[frozenset[str]] = frozenset()

    def to_data(self) -> dict[str, Any]:
        """The entry's ``data``: one key per field (an optional field that is None left out)."""
        out: dict[str, Any] = {}
        for name, key in _keys(type(self)):
            value = getattr(self, name)
            if value is None and key in self.OPTIONAL:
                continue
            if key in self.SUBJECTS and value is not None:
                value = {"kind": value[0], "id": value[1]}
            out[key] = value
        return out

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The event held by ``data``.

        Raises:
            ValidationError: naming every missing and every unexpected key, and every subject
                that is not a ``{"kind", "id"}`` mapping.
        """
        keys = _keys(cls)
        known = {key for _, key in keys}
        problems = [
            Problem(f"data.{key}", "missing")
            for _, key in keys
            if key not in data and key not in cls.OPTIONAL
        ]
        problems += [Problem(f"data.{k}", "not in the schema") for k in data if k not in known]
        values: dict[str, Any] = {}
        for name, key in keys:
            value = data.get(key)
            if key in cls.SUBJECTS and value is not None:
                if not isinstance(value, Mapping) or set(value) != {"kind", "id"}:
                    problems.append(Problem(f"data.{key}", "must be {kind, id}"))
                    continue
                value = (value["kind"], value["id"])
            values[name] = value
        if problems:
            raise ValidationError(f"not a {cls.TYPE} v{cls.VERSION} entry", problems)
        return cls(**values)


_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}


def _keys(cls: type[Event]) -> tuple[tuple[str, str], ...]:
    """``(field name, data key)`` of each field of ``cls``."""
    found = _KEYS.get(cls)
    if found is None:
        found = _KEYS[cls] = tuple((f.name, f.name.rstrip("_")) for f in fields(cls))
    return found


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

    def classes(self) -> dict[tuple[str, int], type[Event]]:
        """Every registered class by ``(type, version)``."""
        return dict(self._classes)

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

    def read_as(self, entry: _EntryLike, cls: type[V]) -> V:
        """:meth:`read_entry` for an entry that must hold a ``cls`` (its type, lifted to
        ``cls``'s version, which must be the latest).

        Raises:
            ValidationError: naming ``type`` if the entry is of another type, ``v`` if
                ``cls`` is not the latest version, and as :meth:`read`.
        """
        if entry.type != cls.TYPE:
            reason = f"{entry.type!r} is not {cls.TYPE}"
            raise ValidationError("not the event asked for", [Problem("type", reason)])
        event = self.read_entry(entry)
        if not isinstance(event, cls):
            reason = f"{cls.__name__} is not the latest version of {cls.TYPE}"
            raise ValidationError("not the event asked for", [Problem("v", reason)])
        return event


#: The registry the packages register their events in.
EVENTS = EventRegistry()
