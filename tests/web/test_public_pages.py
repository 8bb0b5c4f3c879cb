"""Public pages say what a citizen needs: what the grades mean, whether an organisation is on
a public list (and why, and until when), and how many organisations a search really matched."""

from __future__ import annotations

import re

import pytest

from socialcredit.catalogue import mask_subject_id
from socialcredit.consequences import PUBLIC_STATUSES, subject_consequences
from socialcredit.policy import default_bundle

from .conftest import Portal
from .test_pages import client


def test_the_home_page_explains_every_grade(portal: Portal) -> None:
    with client(portal) as anonymous:
        home = anonymous.get("/").text
    table = home.split('id="grade-scale"', 1)[1].split("</table>", 1)[0]
    bands = default_bundle().scoring.grades
    shown = re.findall(r"<strong>([A-D]{1,3})</strong></td><td>(\d+)–(\d+)</td>", table)
    expected = sorted(((b.grade, str(b.min), str(b.max)) for b in bands), key=lambda g: -int(g[1]))
    assert shown == expected
    assert "the best grade" in table and "the lowest grade" in table


def test_an_organisations_page_shows_its_list_entries_with_their_basis(portal: Portal) -> None:
    listed = []
    for kind, subject_id in portal.subjects:
        if kind != "organisation":
            continue
        found = subject_consequences(portal.ledger, kind, subject_id)
        entries = [m for m in found.memberships if m.status in PUBLIC_STATUSES]
        if entries:
            listed.append(((kind, subject_id), entries))
    assert listed, "the fixture city has no organisation on a public list"
    (subject, entries), numbers = listed[0], portal.ledger.store.find_subjects([listed[0][0]])
    with client(portal) as anonymous:
        page = anonymous.get(f"/org/{numbers[subject]}").text
    section = page.split('id="listed"', 1)[1].split("</section>", 1)[0]
    bundle = default_bundle()
    for entry in entries:
        definition = bundle.list_definition(entry.list_id)
        assert definition is not None and bundle.label("lists", definition.id) in section
        assert definition.legal_basis in section
    assert subject[1] not in page and mask_subject_id(*subject) in page
    assert "what grades mean" in page


def test_an_organisation_on_no_list_says_so(portal: Portal) -> None:
    for kind, subject_id in portal.subjects:
        if kind != "organisation":
            continue
        found = subject_consequences(portal.ledger, kind, subject_id)
        if not any(m.status in PUBLIC_STATUSES for m in found.memberships):
            number = portal.ledger.store.find_subjects([(kind, subject_id)])[(kind, subject_id)]
            with client(portal) as anonymous:
                assert "Not on any public list" in anonymous.get(f"/org/{number}").text
            return


def test_a_search_says_how_many_matched(portal: Portal) -> None:
    organisations = [s for s in portal.subjects if s[0] == "organisation"]
    fragment = "9"
    expected = sum(fragment in mask_subject_id(*s).replace("*", " ") for s in organisations)
    with client(portal) as anonymous:
        page = anonymous.get("/search", params={"q": fragment}).text
    found = re.search(r'id="found">(\d+) organisations? match', page)
    assert found is not None and int(found.group(1)) == expected


def _list_rows(page: str) -> list[str]:
    table = page.split('id="list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>(.*?)</td>", table)


def test_a_list_has_one_row_per_subject_linked_and_paged(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialcredit.consequences import memberships_of_list
    from socialcredit.web import _public as public

    list_id = "abnormal_operations"
    published = memberships_of_list(portal.ledger, list_id)
    subjects = {(r.subject_kind, r.number) for r in published}
    assert len(subjects) >= 3, "the fixture city needs a few organisations on the list"
    monkeypatch.setattr(public, "LIST_PAGE", 2)
    seen: list[str] = []
    with client(portal) as anonymous:
        first = anonymous.get(f"/lists/{list_id}").text
        pages = int(re.search(r"Page 1 of (\d+)", first).group(1))  # type: ignore[union-attr]
        assert pages == -(-len(subjects) // 2) and 'rel="next"' in first
        for number in range(1, pages + 1):
            seen += _list_rows(anonymous.get(f"/lists/{list_id}", params={"page": number}).text)
    assert len(seen) == len(subjects) == len(set(seen))  # each subject once, across the pages
    organisations = {n for kind, n in subjects if kind == "organisation"}
    linked = {int(n) for row in seen for n in re.findall(r'href="/org/(\d+)"', row)}
    assert linked == organisations
