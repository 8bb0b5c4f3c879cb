"""Agencies: registered once each with its own key; refusals name the field, write nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialcredit.agencies import agency, competence, find_agency, register_agency
from socialcredit.cli import cli
from socialcredit.errors import NotFoundError, ValidationError
from socialcredit.ledger import Ledger, create_key_file, public_key_text


def _key(tmp_path: Path, name: str = "a.pem") -> str:
    return public_key_text(create_key_file(tmp_path / name).public_key)


def test_an_agency_is_found_by_name_with_its_key_and_competence(
    make_ledger: Callable[..., Ledger], tmp_path: Path
) -> None:
    ledger = make_ledger()
    key = _key(tmp_path)
    made = register_agency(ledger, "court:supreme-peoples-court", "Supreme  Court", key)
    found = agency(ledger, "court:supreme-peoples-court")
    assert found == made and found.public_key == key and found.title == "Supreme Court"
    assert found.authority == "court" and "judicial" in found.competence
    assert find_agency(ledger, "court:elsewhere") is None
    with pytest.raises(NotFoundError):
        agency(ledger, "court:elsewhere")


@pytest.mark.parametrize(
    ("name", "title", "key", "field"),
    [
        ("nobody:x", "X", None, "name"),  # not an authority kind of the taxonomy
        ("Court:X", "X", None, "name"),  # not the source form
        ("court:x", "Court of religious affairs", None, "title"),  # a prohibited ground
        ("court:x", "", None, "title"),
        ("court:x", "X", "not-a-key", "public_key"),
    ],
)
def test_a_bad_agency_is_refused_naming_the_field(
    make_ledger: Callable[..., Ledger],
    tmp_path: Path,
    name: str,
    title: str,
    key: str | None,
    field: str,
) -> None:
    ledger = make_ledger()
    size = ledger.size()
    with pytest.raises(ValidationError) as caught:
        register_agency(ledger, name, title, key or _key(tmp_path))
    assert field in [p.field for p in caught.value.problems]
    assert ledger.size() == size


def test_an_agency_is_registered_once(make_ledger: Callable[..., Ledger], tmp_path: Path) -> None:
    ledger = make_ledger()
    register_agency(ledger, "tax_authority:sat", "SAT", _key(tmp_path))
    with pytest.raises(ValidationError, match="refused") as caught:
        register_agency(ledger, "tax_authority:sat", "SAT", _key(tmp_path, "b.pem"))
    assert "registered already" in caught.value.problems[0].reason


def test_competence_comes_from_the_taxonomy() -> None:
    assert competence("transport_operator") == {"transport"}
    assert competence("market_regulator") == {"market_regulation"}
    assert "finance" in competence("peoples_government")
    assert competence("no_such_kind") == frozenset()


def test_a_refused_agency_gets_no_key_file(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    store = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store, "--key-file", str(key), "init"]).exit_code == 0
    pem = tmp_path / "agency.pem"
    base = ["--store", store, "--key-file", str(key), "memorandum", "register-agency"]
    refused = runner.invoke(cli, [*base, "nobody:x", "--title", "X", "--key", str(pem)])
    assert refused.exit_code == 2 and "name" in refused.output
    assert not pem.exists()
