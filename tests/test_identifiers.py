"""Resident identity numbers (GB 11643-1999), Unified Social Credit Codes (GB 32100-2015), masks."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcredit.catalogue import (
    make_resident_id,
    make_uscc,
    mask_subject_id,
    validate_resident_id,
    validate_uscc,
)
from socialcredit.catalogue._identifiers import (
    USCC_ALPHABET,
    resident_id_check_char,
    uscc_check_char,
)

# Worked by hand for 11010519491231002X (ISO 7064 MOD 11-2, weights 2**(17-i) mod 11):
#   digits  1 1  0 1 0 5 1 9 4 9 1 2  3 1 0 0 2
#   weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
#   products 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = X
HAND_VERIFIED = "11010519491231002X"

# Codes printed on real business licences (public in China), and the standard's own example.
PUBLISHED_USCCS = [
    "91350100M000100Y43",
    "91110108551385082Q",
    "914403001922038216",
    "91330000MA27U0RP1F",
    "9144030071526726XG",
]

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
areas = st.sampled_from(["110105", "310104", "440305", "510107", "650102", "820000"])


def test_hand_verified_resident_id() -> None:
    assert validate_resident_id(HAND_VERIFIED) == (HAND_VERIFIED, date(1949, 12, 31))
    assert resident_id_check_char(HAND_VERIFIED[:17]) == "X"


def test_resident_id_normalisation() -> None:
    assert validate_resident_id("  " + HAND_VERIFIED.lower() + "\n")[0] == HAND_VERIFIED


@given(areas, births, st.integers(0, 999))
def test_generated_resident_ids_validate(area: str, birth: date, seq: int) -> None:
    rid = make_resident_id(area, birth, seq)
    assert len(rid) == 18
    assert validate_resident_id(rid) == (rid, birth)


@given(areas, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_detected(
    area: str, birth: date, seq: int, position: int, delta: int
) -> None:
    rid = make_resident_id(area, birth, seq)
    wrong = rid[:position] + str((int(rid[position]) + delta) % 10) + rid[position + 1 :]
    with pytest.raises(ValueError):
        validate_resident_id(wrong)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("11010519491231002", "18 characters, not 17"),
        ("1101051949123100X2", "17 digits and a check character"),
        ("11010519491231002Y", "17 digits and a check character"),
        ("99010519491231002X", "unknown area code"),
        ("110105194902300020", "not a calendar date"),
        ("110105189912310011", "before 1900"),
        ("110105194912310021", "check character does not match"),
        (110105194912310021, "must be text"),
    ],
)
def test_invalid_resident_ids(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_resident_id(value)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_make_resident_id_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="6 digits"):
        make_resident_id("1101", date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="0-999"):
        make_resident_id("110105", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError, match="unknown area code"):
        make_resident_id("990105", date(1990, 1, 1), 1)


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_published_usccs_validate(code: str) -> None:
    assert validate_uscc(code.lower()) == code
    assert uscc_check_char(code[:17]) == code[17]


@given(areas, st.integers(0, 10**8 - 1))
def test_generated_usccs_validate(area: str, serial: int) -> None:
    code = make_uscc(area, serial)
    assert len(code) == 18 and code.startswith("91" + area)
    assert validate_uscc(code) == code


@given(st.integers(0, 10**8 - 1), st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_error_in_a_uscc_is_detected(
    serial: int, position: int, delta: int
) -> None:
    code = make_uscc("110105", serial)
    replacement = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + delta) % 31]
    with pytest.raises(ValueError):
        validate_uscc(code[:position] + replacement + code[position + 1 :])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("91110105000000019", "18 characters, not 17"),
        ("91110105O00000019Q", "not allowed"),
        ("9111010500000001IQ", "not allowed"),
        ("91AB0105000000019Q", "area code"),
        ("91110105000000019R", "check character does not match"),
        (None, "must be text"),
    ],
)
def test_invalid_usccs(value: object, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_uscc(value)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_make_uscc_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="serial"):
        make_uscc("110105", 10**8)
    with pytest.raises(ValueError, match="6 digits"):
        make_uscc("11A105", 1)
    with pytest.raises(ValueError, match="alphabet"):
        make_uscc("110105", 1, authority="I")


def test_masks() -> None:
    assert mask_subject_id("person", HAND_VERIFIED) == "1101**********002X"
    assert mask_subject_id("organisation", "91350100M000100Y43") == "91350********00Y43"
    assert mask_subject_id("person", "short") == "*****"
    with pytest.raises(ValueError, match="subject kind"):
        mask_subject_id("robot", HAND_VERIFIED)
