"""An officer's refused decision keeps what was typed, sits next to the fields it names (marked
aria-invalid), and an appeal is called by one identifier everywhere. (Issue 18: a refused
decision cleared the form and showed ``changes.amount: …`` far from the field; appeal
"AD4060-1" in the queue was "D4060-1" on its page.)"""

from __future__ import annotations

import re

from socialcredit.records import RecordIndex
from socialcredit.rights import open_dispute

from .conftest import Portal
from .test_pages import csrf_of, logged_in


def _a_dispute(portal: Portal, nth: int) -> str:
    """A new dispute of the last record of the ``nth`` person from the end (tests share the
    portal: each takes its own record)."""
    index = RecordIndex.build(portal.ledger)
    person = [s for s in portal.subjects if s[0] == "person"][-1 - nth]
    record = index.records(*person)[-1]
    return open_dispute(portal.ledger, record.position, "the amount is wrong")


def test_a_refused_decision_keeps_what_was_typed_next_to_the_field(portal: Portal) -> None:
    dispute = _a_dispute(portal, 3)
    with logged_in(portal, "officer") as officer:
        page = officer.get(f"/officer/disputes/{dispute}").text
        answer = officer.post(f"/officer/disputes/{dispute}/decide", data={
            "csrf_token": csrf_of(page), "outcome": "corrected",
            "reason": "checked against the court's file", "amount": "-5"})  # fmt: skip
    assert answer.status_code == 422
    form = answer.text.split(f'id="decide-{dispute}"', 1)[1].split("</form>", 1)[0]
    assert "Nothing was recorded" in form  # the refusal is inside the form
    assert (
        "checked against the court&#39;s file" in form or "checked against the court's file" in form
    )
    assert re.search(r'name="outcome" value="corrected" required checked', form)
    assert re.search(
        r'id="amount-[^"]+" name="amount"[^>]*value="-5"[^>]*aria-invalid="true"', form
    )
    assert re.search(r"<li>amount: ", form)  # the field in plain words, not changes.amount


def test_an_appeal_has_one_identifier(portal: Portal) -> None:
    from socialcredit.rights import appeal, decide

    dispute = _a_dispute(portal, 4)
    decide(portal.ledger, dispute, "upheld", "user:demo-officer", "checked", None)
    appeal_id = appeal(portal.ledger, dispute, "the officer did not look")
    with logged_in(portal, "appeal_officer") as second:
        queue = second.get("/officer/appeals").text
        page = second.get(f"/officer/appeals/{dispute}").text
    assert f">{appeal_id}</a>" in queue
    assert re.search(rf"<h1>Appeal {appeal_id} of dispute {dispute}</h1>", page)
