"""Plain data (parsed YAML) to frozen dataclasses and back, checking every key and value.

The scenario types are the schema: a dataclass is a mapping whose keys are its fields, typed
by their annotations (``bool``, ``int``, ``float``, ``str``, ``X | None``, ``tuple[X, ...]``,
``dict[str, X]``, nested dataclasses). A union of dataclasses is *tagged*: each member names
itself with a class attribute ``kind`` and the mapping picks one with its ``kind`` key
(``game: {kind: prisoners_dilemma, temptation: 1.9}``); its other keys are that member's
fields. Problems are collected, never raised one at a time, each naming its key path
(``game.self_interaction``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from socialcredit.errors import Problem

__all__ = ["as_data", "build", "join", "merged"]


def build(cls: type, data: Any, path: str, problems: list[Problem]) -> Any:
    """An instance of dataclass ``cls`` from mapping ``data``, or ``None`` after a problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(path or "scenario", "must be a mapping"))
        return None
    data = dict(data)
    tag = getattr(cls, "kind", None)
    # a tagged class met on its own (not through a union) may repeat its tag
    if isinstance(tag, str) and "kind" in data and data.pop("kind") != tag:
        problems.append(Problem(join(path, "kind"), f"must be {tag}"))
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}
    count = len(problems)
    for key in sorted(set(data) - names, key=str):
        problems.append(Problem(join(path, str(key)), "unknown key"))
    for f in fields:
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.name not in data:
            problems.append(Problem(join(path, f.name), "required"))
    kwargs = {n: _convert(hints[n], data[n], join(path, n), problems) for n in names & set(data)}
    if len(problems) > count:
        return None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        problems.append(Problem(path or "scenario", str(error)))
        return None


def _convert(hint: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    if isinstance(hint, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None and len(members) < len(typing.get_args(hint)):
            return None
        if len(members) > 1:
            return _tagged(members, value, path, problems)
        hint = members[0]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, path, problems)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            problems.append(Problem(path, "must be a list"))
            return ()
        return tuple(_convert(args[0], v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be a mapping"))
            return {}
        return {str(k): _convert(args[1], v, f"{path}.{k}", problems) for k, v in value.items()}
    return _scalar(hint, value, path, problems)


def _tagged(members: list[type], value: Any, path: str, problems: list[Problem]) -> Any:
    kinds: dict[str, type] = {getattr(m, "kind", ""): m for m in members}
    if not isinstance(value, dict):
        problems.append(Problem(path, "must be a mapping"))
        return None
    if "kind" not in value:
        problems.append(Problem(join(path, "kind"), f"required: one of {', '.join(kinds)}"))
        return None
    chosen = kinds.get(value["kind"])
    if chosen is None:
        reason = f"must be one of {', '.join(kinds)}, got {value['kind']!r}"
        problems.append(Problem(join(path, "kind"), reason))
        return None
    return build(chosen, value, path, problems)


def _scalar(hint: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(Problem(path, "must be true or false"))
        return bool(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(path, "must be an integer"))
            return 0
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(path, "must be a number"))
            return 0.0
        return float(value)
    if not isinstance(value, str):
        problems.append(Problem(path, "must be a string"))
        return ""
    return value


def as_data(value: Any) -> Any:
    """The plain data of a value :func:`build` made (tagged classes with their ``kind``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: as_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
        tag = getattr(type(value), "kind", None)
        return {"kind": tag, **out} if isinstance(tag, str) else out
    if isinstance(value, tuple):
        return [as_data(v) for v in value]
    if isinstance(value, dict):
        return {k: as_data(v) for k, v in value.items()}
    return value


def merged(old: Any, new: Any) -> Any:
    """``new``, or — both being mappings — ``old`` with ``new``'s keys merged recursively.

    A mapping that names another ``kind`` than the old one replaces it whole: the keys of the
    old kind mean nothing to the new one.
    """
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    if "kind" in new and new["kind"] != old.get("kind"):
        return new
    out = dict(old)
    for key, value in new.items():
        out[key] = merged(out[key], value) if key in out else value
    return out


def join(path: str, name: str) -> str:
    """``path.name``, or ``name`` at the top."""
    return f"{path}.{name}" if path else name
