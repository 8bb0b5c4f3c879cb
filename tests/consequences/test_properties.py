"""Property tests of the projection and decisions (Hypothesis, pure functions, no ledger).

- a subject with no negative records is never denied, whatever it asks for and when;
- every listing ends (no permanent measures), whatever records arrive in whatever order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.catalogue import Gravity
from socialcredit.consequences import CompiledConsequences, Outcome, make_decision
from socialcredit.consequences._projection import DAY_US, SubjectFacts, listings, membership_at
from socialcredit.policy import default_bundle
from socialcredit.records import RecordRow

BUNDLE = default_bundle()
COMPILED = CompiledConsequences(BUNDLE)
START_US = 1_767_225_600_000_000  # 2026-01-01
KINDS = list(BUNDLE.catalogue.kinds.values())
HARMLESS = [k.id for k in KINDS if k.gravity in (Gravity.POSITIVE, Gravity.NEUTRAL)]
ANY = [k.id for k in KINDS]
SERVICES = sorted(COMPILED.services)


def _rows(kinds: list[str], subject_kind: str, data: st.DataObject) -> list[RecordRow]:
    rows = []
    for position, kind in enumerate(kinds):
        occurred = START_US + data.draw(st.integers(0, 3 * 365)) * DAY_US
        delay = data.draw(st.integers(0, 400)) * DAY_US
        amount = data.draw(st.integers(0, 100_000))
        rows.append(
            RecordRow(position, subject_kind, "X", kind, occurred, occurred + delay, amount)
        )
    return sorted(rows, key=lambda r: r.recorded_at_us)


def _kinds_for(subject_kind: str, pool: list[str]) -> list[str]:
    return [
        k for k in pool if subject_kind in {s.value for s in BUNDLE.catalogue.kind(k).subject_kinds}
    ]


@settings(max_examples=150, deadline=None)
@given(
    subject_kind=st.sampled_from(["person", "organisation"]),
    data=st.data(),
)
def test_no_negative_records_is_never_denied(subject_kind: str, data: st.DataObject) -> None:
    kinds = data.draw(st.lists(st.sampled_from(_kinds_for(subject_kind, HARMLESS)), max_size=12))
    rows = _rows(kinds, subject_kind, data)
    hardship = data.draw(st.booleans())
    facts = SubjectFacts(hardship=[(START_US, True)] if hardship else [])
    found = listings(BUNDLE, COMPILED.scoring, rows, facts, subject_kind, 2**62)
    for _ in range(5):
        at = START_US + data.draw(st.integers(-30, 5 * 365)) * DAY_US
        members = [m for m in (membership_at(x, at, False) for x in found) if m is not None]
        service = data.draw(st.sampled_from(SERVICES))
        decision = make_decision(COMPILED, (subject_kind, "X"), service, at, members)
        assert decision.outcome != Outcome.DENY, decision.to_json()


@settings(max_examples=150, deadline=None)
@given(
    subject_kind=st.sampled_from(["person", "organisation"]),
    data=st.data(),
)
def test_every_listing_ends(subject_kind: str, data: st.DataObject) -> None:
    kinds = data.draw(st.lists(st.sampled_from(_kinds_for(subject_kind, ANY)), max_size=15))
    rows = _rows(kinds, subject_kind, data)
    restorations = [
        (data.draw(st.sampled_from([d.id for d in BUNDLE.lists])), START_US + d * DAY_US)
        for d in data.draw(st.lists(st.integers(0, 2000), max_size=3))
    ]
    facts = SubjectFacts(restorations=sorted(restorations, key=lambda r: r[1]))
    longest = 12 * 365 * DAY_US  # notice + ground period + escalated period, with room
    for listing in listings(BUNDLE, COMPILED.scoring, rows, facts, subject_kind, 2**62):
        assert listing.until_us is not None, listing
        assert listing.until_us <= listing.noticed_us + longest, listing
        after = membership_at(listing, listing.until_us, False)
        assert after is not None and after.status.value in ("expired", "restored")
