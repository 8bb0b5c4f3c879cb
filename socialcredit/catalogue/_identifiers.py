"""External identifiers of subjects: PRC resident identity numbers and Unified Social Credit Codes.

* A **person** is identified by the 18-character resident identity number of GB 11643-1999:
  a 6-digit area code (GB/T 2260), the birth date ``YYYYMMDD``, a 3-digit sequence number (odd for
  men, even for women) and a check character computed with ISO 7064 MOD 11-2 (``0``-``9`` or
  ``X``).
* An **organisation** is identified by the 18-character Unified Social Credit Code of
  GB 32100-2015: registration-authority code, organisation-type code, 6-digit administrative
  division code, 9-character organisation code (GB 11714) and a check character, all over the
  31-character alphabet ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z), the check character being
  a weighted sum modulo 31.

Validation checks structure and check characters only; it cannot know whether a number was ever
issued. The ``make_*`` generators build numbers with correct check characters for synthetic data.
Public displays show identifiers only through :func:`mask_subject_id`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from socialcredit.catalogue._cache import BoundedMemo
from socialcredit.catalogue._timestamps import (
    US_PER_DAY,
    calendar_dates,
    epoch_days,
    is_leap_year,
)

__all__ = [
    "AGE_OF_MAJORITY",
    "EARLIEST_BIRTH_YEAR",
    "RESIDENT_ID_PROVINCES",
    "USCC_ALPHABET",
    "make_resident_id",
    "make_uscc",
    "mask_subject_id",
    "organisation_facts",
    "person_facts",
    "person_facts_columns",
    "resident_id_check_char",
    "subject_key",
    "subject_kind_of",
    "uscc_check_char",
    "uscc_columns",
    "validate_resident_id",
    "validate_uscc",
]

#: Province-level prefixes of GB/T 2260 area codes, plus 81/82 (Hong Kong, Macao) and 83 (Taiwan),
#: which the 2018 residence permits for those residents use.
RESIDENT_ID_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64"}
    | {"65", "71", "81", "82", "83"}
)
#: Birth years before this are taken as typing errors rather than centenarians.
EARLIEST_BIRTH_YEAR = 1900
#: Age of majority in the PRC (Civil Code Art. 17); records about anyone younger are refused.
AGE_OF_MAJORITY = 18

# ISO 7064 MOD 11-2: the weighted sum is S = sum(d[i] * 2**(17 - i)) mod 11 over the 17 digits,
# and the check character is "10X98765432"[S]. Because 13 = 2 (mod 11), reading the digits as a
# base-13 numeral gives sum(d[i] * 13**(16 - i)) = S / 2 (mod 11): int(body, 13) does the sum in C.
_RID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# GB 32100-2015: S = sum(v[i] * 3**i) mod 31 over the 17 character values v, and the check value
# is (31 - S) mod 31. As 34 = 3 (mod 31), S is the reversed values read as a base-34 numeral; the
# table turns each character into the int() digit of its value (J, value 18, becomes I, and so on).
_USCC_AS_DIGITS = str.maketrans(USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")
# GB 11714 organisation code (positions 9-17 of a USCC): weights of its 8-character body.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def resident_id_check_char(body: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of a resident id.

    Raises:
        ValueError: if ``body`` is not 17 ASCII digits.
    """
    if len(body) != 17 or not (body.isascii() and body.isdigit()):
        raise ValueError("the body of a resident id is 17 digits")
    return _RID_CHECK[2 * int(body, 13) % 11]


def uscc_check_char(body: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC.

    Raises:
        ValueError: if ``body`` is not 17 characters of :data:`USCC_ALPHABET`.
    """
    if len(body) != 17 or body.strip(USCC_ALPHABET):
        raise ValueError("the body of a USCC is 17 characters of its alphabet")
    return USCC_ALPHABET[-int(body.translate(_USCC_AS_DIGITS)[::-1], 34) % 31]


def _org_code_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _birth_facts(yyyymmdd: str) -> tuple[date, int, int] | str:
    """Birth date with the instants of birth and of the 18th birthday, or why it is invalid."""
    try:
        birth = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return f"birth date {yyyymmdd} is not a calendar date"
    if birth.year < EARLIEST_BIRTH_YEAR:
        return f"birth year {birth.year} is before {EARLIEST_BIRTH_YEAR}"
    return birth, _epoch_us(birth), _epoch_us(_adulthood(birth))


# Some 45,000 possible birth dates: memoising them saves most of a resident-id check.
_birth: BoundedMemo[str, tuple[date, int, int] | str] = BoundedMemo(_birth_facts, maxsize=2**16)
_BIRTHS = _birth.values


def _check_resident_id(value: object) -> tuple[str, date, int, int] | str:
    """Normalised id, birth date, birth and adulthood instants; or why the value is invalid."""
    if not isinstance(value, str):
        return "a resident identity number must be text"
    s = value.strip().upper()
    if len(s) != 18:
        return f"a resident identity number has 18 characters, not {len(s)}"
    body = s[:17]
    if not (body.isascii() and body.isdigit()) or s[17] not in "0123456789X":
        return "a resident identity number is 17 digits and a check character (0-9 or X)"
    if s[:2] not in RESIDENT_ID_PROVINCES:
        return f"unknown area code {s[:6]} (no province {s[:2]})"
    birth = _BIRTHS.get(s[6:14]) or _birth.compute(s[6:14])
    if isinstance(birth, str):
        return birth
    if _RID_CHECK[2 * int(body, 13) % 11] != s[17]:
        return "check character does not match (ISO 7064 MOD 11-2); mistyped number?"
    return s, *birth


def _check_uscc(value: object) -> tuple[str] | str:
    """``(normalised code,)``, or the reason the value is not a valid USCC."""
    if not isinstance(value, str):
        return "a Unified Social Credit Code must be text"
    s = value.strip().upper()
    if len(s) != 18:
        return f"a Unified Social Credit Code has 18 characters, not {len(s)}"
    if s.strip(USCC_ALPHABET):  # empty exactly when every character is in the alphabet
        bad = "".join(sorted({c for c in s if c not in _USCC_VALUE}))
        return f"character(s) {bad!r} not allowed in a Unified Social Credit Code"
    if not s[2:8].isdigit():
        return "positions 3-8 of a Unified Social Credit Code are an area code (digits)"
    if USCC_ALPHABET[-int(s[16::-1].translate(_USCC_AS_DIGITS), 34) % 31] != s[17]:
        return "check character does not match (GB 32100-2015); mistyped code?"
    return (s,)


def validate_resident_id(value: str) -> tuple[str, date]:
    """Check a PRC resident identity number (GB 11643-1999).

    Surrounding whitespace is dropped and a lower-case ``x`` check character upper-cased.

    Returns:
        The normalised 18-character number and the birth date it encodes.

    Raises:
        ValueError: with the reason, if the value is not text, has the wrong length or
            characters, an unknown province, an impossible birth date, or a wrong check character.
    """
    checked = _check_resident_id(value)
    if isinstance(checked, str):
        raise ValueError(checked)
    return checked[0], checked[1]


def subject_kind_of(value: str) -> str:
    """``"person"`` for a valid resident identity number, ``"organisation"`` for a valid USCC.

    Raises:
        ValueError: if the value is neither, with both reasons.
    """
    try:
        validate_resident_id(value)
        return "person"
    except ValueError as as_person:
        try:
            validate_uscc(value)
            return "organisation"
        except ValueError as as_organisation:
            raise ValueError(
                f"neither a resident identity number ({as_person}) nor a Unified Social "
                f"Credit Code ({as_organisation})"
            ) from None


def subject_key(value: str, field: str = "subject") -> tuple[str, str]:
    """``(kind, id)`` of a resident identity number or USCC as typed (spaces stripped, upper
    case): the one parse of a subject that every adapter uses.

    Raises:
        ValidationError: naming ``field`` if the value is neither.
    """
    from socialcredit.errors import Problem, ValidationError

    try:
        return subject_kind_of(value), value.strip().upper()
    except ValueError as exc:
        raise ValidationError("bad subject", [Problem(field, str(exc))]) from exc


def validate_uscc(value: str) -> str:
    """Check a Unified Social Credit Code (GB 32100-2015).

    Only the structure and the final check character are verified: the embedded GB 11714
    organisation code is not, because codes issued under later rules need not satisfy it.

    Returns:
        The normalised (stripped, upper-case) 18-character code.

    Raises:
        ValueError: with the reason, if the value is not text, has the wrong length, uses a
            character outside the alphabet, or has a wrong check character.
    """
    checked = _check_uscc(value)
    if isinstance(checked, str):
        raise ValueError(checked)
    return checked[0]


def make_resident_id(area: str, birth: date, seq: int) -> str:
    """Build a resident identity number with a correct check character (for synthetic data).

    Args:
        area: 6-digit area code whose first two digits are a known province.
        birth: birth date (year >= 1900).
        seq: sequence number 0-999 (odd for men, even for women).

    Raises:
        ValueError: if any part is out of range.
    """
    if not (len(area) == 6 and area.isascii() and area.isdigit()):
        raise ValueError(f"area must be 6 digits, got {area!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0-999, got {seq}")
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return validate_resident_id(body + resident_id_check_char(body))[0]


def make_uscc(area: str, serial: int, *, authority: str = "9", org_type: str = "1") -> str:
    """Build a Unified Social Credit Code with correct check characters (for synthetic data).

    The organisation code is the zero-padded ``serial`` followed by its GB 11714 check character,
    so generated codes are valid under both standards.

    Args:
        area: 6-digit administrative division code.
        serial: 0 <= serial < 10**8, distinct per organisation.
        authority: registration-authority code (``9``: market regulation, the usual one for firms).
        org_type: organisation-type code (``1``: enterprise, under authority ``9``).

    Raises:
        ValueError: if any part is out of range or outside the alphabet.
    """
    if not (len(area) == 6 and area.isascii() and area.isdigit()):
        raise ValueError(f"area must be 6 digits, got {area!r}")
    if not 0 <= serial < 10**8:
        raise ValueError(f"serial must be 0 <= serial < 10**8, got {serial}")
    if len(authority) != 1 or len(org_type) != 1:
        raise ValueError("authority and org_type are one character each")
    org_body = f"{serial:08d}"
    body = f"{authority}{org_type}{area}{org_body}{_org_code_check_char(org_body)}"
    if any(c not in _USCC_VALUE for c in body):
        raise ValueError(f"{body!r} uses characters outside the USCC alphabet")
    return validate_uscc(body + uscc_check_char(body))


def mask_subject_id(subject_kind: str, subject_id: str) -> str:
    """Mask an identifier for public display (lists, rating pages, exports to third parties).

    A resident id keeps its first 4 characters (province and city) and last 4 (end of the
    sequence number and the check character); the 10 in between, which hold the birth date, are
    starred. A USCC is public in China (the enterprise credit publicity system shows it), but list
    displays still star its middle 8 characters so that published lists are not a ready-made
    join key; the first 5 and last 5 stay, enough to tell organisations apart at a glance.
    A value of the wrong length is starred completely rather than risk showing too much.

    Raises:
        ValueError: if ``subject_kind`` is neither ``person`` nor ``organisation``.
    """
    if subject_kind == "person":
        keep = 4
    elif subject_kind == "organisation":
        keep = 5
    else:
        raise ValueError(f"unknown subject kind {subject_kind!r}")
    if len(subject_id) != 18:
        return "*" * len(subject_id)
    return subject_id[:keep] + "*" * (18 - 2 * keep) + subject_id[-keep:]


def _epoch_us(day: date) -> int:
    """Microseconds since the Unix epoch of 00:00 UTC on ``day``."""
    return (day.toordinal() - _EPOCH.toordinal()) * 86_400_000_000


def _adulthood(birth: date) -> date:
    """The day the person turns 18 (a 29 February birthday counts from 1 March)."""
    try:
        return birth.replace(year=birth.year + AGE_OF_MAJORITY)
    except ValueError:
        return date(birth.year + AGE_OF_MAJORITY, 3, 1)


def _person_facts(value: str) -> tuple[str, int, int] | str:
    checked = _check_resident_id(value)
    return checked if isinstance(checked, str) else (checked[0], checked[2], checked[3])


#: Memoised resident-id check for the ingest hot path: ``(normalised, born_us, adult_us)`` or the
#: reason the value is invalid. Both instants are microseconds since the epoch at 00:00 UTC of the
#: day -- 08:00 in China, so a person counts as a minor up to eight hours longer than by local
#: time, which errs on the side of the minor.
person_facts: BoundedMemo[str, tuple[str, int, int] | str] = BoundedMemo(_person_facts)
#: Memoised USCC check for the ingest hot path: ``(normalised,)`` or the reason it is invalid.
organisation_facts: BoundedMemo[str, tuple[str] | str] = BoundedMemo(_check_uscc)


# -- the column form: many identifiers at once, as an (n, 18) array of bytes ------------------

_RID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_RID_CHECK_CODES = np.frombuffer(_RID_CHECK.encode(), dtype=np.uint8)
_PROVINCE = np.zeros(100, dtype=bool)
_PROVINCE[[int(p) for p in RESIDENT_ID_PROVINCES]] = True
_USCC_CODES = np.full(256, 255, dtype=np.uint8)
_USCC_CODES[np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(31)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)


def person_facts_columns(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:data:`person_facts` for many values at once.

    Args:
        chars: (n, 18) uint8 array, the bytes of values that are 18 bytes long.

    Returns:
        ``(valid, born_us, adult_us)``: True where the value is a valid resident identity
        number already in normal form (so ``person_facts`` gives it back unchanged), with the
        instants of birth and of the 18th birthday there (0 elsewhere). A False row may still
        be valid after normalisation (a lower-case ``x``): the scalar check decides those.
    """
    digits = chars[:, :17] - np.uint8(48)  # wraps around: a digit is exactly a value <= 9
    valid = np.asarray((digits <= 9).all(axis=1))
    wide = digits.astype(np.int64)
    valid &= _PROVINCE[np.minimum(wide[:, 0] * 10 + wide[:, 1], 99)]
    year = wide[:, 6] * 1000 + wide[:, 7] * 100 + wide[:, 8] * 10 + wide[:, 9]
    month = wide[:, 10] * 10 + wide[:, 11]
    day = wide[:, 12] * 10 + wide[:, 13]
    valid &= calendar_dates(year, month, day) & (year >= EARLIEST_BIRTH_YEAR)
    valid &= _RID_CHECK_CODES[(wide @ _RID_WEIGHTS) % 11] == chars[:, 17]
    year = np.where(valid, year, 1970)
    month, day = np.where(valid, month, 1), np.where(valid, day, 1)
    born = epoch_days(year, month, day)
    # A 29 February birthday comes of age on 1 March (the 18th year is never a leap year).
    moved = (month == 2) & (day == 29) & ~is_leap_year(year + AGE_OF_MAJORITY)
    adult = epoch_days(year + AGE_OF_MAJORITY, np.where(moved, 3, month), np.where(moved, 1, day))
    return valid, np.where(valid, born * US_PER_DAY, 0), np.where(valid, adult * US_PER_DAY, 0)


def uscc_columns(chars: np.ndarray) -> np.ndarray:
    """:data:`organisation_facts` for many values at once: True where the value is a valid
    Unified Social Credit Code already in normal form.

    Args:
        chars: (n, 18) uint8 array, the bytes of values that are 18 bytes long.
    """
    values = _USCC_CODES[chars]
    valid = (values < 31).all(axis=1) & (values[:, 2:8] < 10).all(axis=1)
    total = (values[:, :17].astype(np.int64) @ _USCC_WEIGHTS) % 31
    return valid & ((31 - total) % 31 == values[:, 17])
