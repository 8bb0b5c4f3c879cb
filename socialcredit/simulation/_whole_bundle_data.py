"""The data file ``whole_bundle.yaml`` read: which record kinds each synthetic act files.

Below both of its users: :mod:`._scenario` checks with :func:`unmapped_kinds` that a
scenario's bundle is one the lab can express (``institution.acts: bundle``), and
:mod:`._whole_bundle` files the acts with :func:`act_kinds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from socialcredit.policy import PolicyBundle

__all__ = [
    "ACTS",
    "SUBJECTS",
    "act_kinds",
    "mapped_kinds",
    "unmapped_kinds",
    "whole_bundle_data",
]

ACTS = (
    "obligation_default",
    "hardship",
    "obligation_met",
    "free_riding",
    "civic_act",
    "fake_rating",
    "clean_record",
)
"""The synthetic acts and outcomes that file records."""
SUBJECTS = ("person", "organisation")
"""The subject kinds an agent can be, in the order of their codes."""


@cache
def whole_bundle_data() -> dict[str, dict[str, object]]:
    """The shipped ``whole_bundle.yaml`` (acts, kinds not simulated, measure effects)."""
    text = (resources.files("socialcredit.simulation") / "whole_bundle.yaml").read_text()
    data: dict[str, dict[str, object]] = yaml.safe_load(text)
    return data


def act_kinds(act: str, subject: str) -> dict[str, tuple[float, int]]:
    """``kind -> (probability, amount)`` of ``act`` for ``subject`` (person/organisation)."""
    raw = whole_bundle_data()["acts"][act]
    assert isinstance(raw, Mapping)
    out = {}
    for kind, value in (raw.get(subject) or {}).items():
        if isinstance(value, Mapping):
            out[kind] = (float(value["p"]), int(value.get("amount", 0)))
        else:
            out[kind] = (float(value), 0)
    return out


def mapped_kinds() -> frozenset[str]:
    """Every kind some act files."""
    return frozenset(k for act in ACTS for s in SUBJECTS for k in act_kinds(act, s))


def unmapped_kinds(bundle: PolicyBundle) -> list[str]:
    """The bundle's kinds that no act files and the data file does not list as not
    simulated (with its reason): what the lab could not express of this bundle."""
    listed = set(whole_bundle_data()["not_simulated"])
    return sorted(k.id for k in bundle.catalogue if k.id not in mapped_kinds() | listed)
