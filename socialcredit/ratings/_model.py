"""What is rated, by whom, and the parameters of aggregation.

Raters are persons (resident identity numbers). Ratees are organisations (Unified Social
Credit Code) or professionals: a person *in a professional role* from :data:`PROFESSIONAL_ROLES`.
A person outside such a role is never a ratee: the public rates services, not private lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socialcredit.catalogue import mask_subject_id, validate_resident_id, validate_uscc

from ..errors import Problem, RatingRefusedError
from ..timeutil import DAY_US as _DAY_US

__all__ = [
    "DIMENSIONS",
    "MAX_TEXT",
    "PROFESSIONAL_ROLES",
    "Ratee",
    "RatingParams",
    "check_rater",
    "check_stars",
    "check_text",
]

#: The dimensions every rating scores, 1-5 stars each.
DIMENSIONS = ("integrity", "professionalism", "service")
#: The professional roles in which a person may be rated.
PROFESSIONAL_ROLES = frozenset({"doctor", "lawyer", "teacher", "accountant"})
#: Longest optional text of a rating or a reply, in characters.
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Ratee:
    """An organisation, or a person in a professional role.

    Attributes:
        kind: ``"organisation"`` or ``"professional"``.
        id: the USCC, or the professional's resident identity number.
        role: the professional role (None for an organisation).
    """

    kind: str
    id: str
    role: str | None = None

    @classmethod
    def parse(cls, text: str, field: str = "ratee") -> Ratee:
        """A ratee from ``USCC`` or ``RESIDENT_ID:ROLE`` (e.g. ``1101...X:doctor``).

        Raises:
            RatingRefusedError: naming ``field`` if the text is neither, or names a person
                without a professional role (private persons are not rated).
        """
        ident, _, role = text.strip().partition(":")
        kind = "professional" if role or _is_person(ident) else "organisation"
        return cls.checked(kind, ident, role or None, field)

    @classmethod
    def checked(cls, kind: str, ident: str, role: str | None, field: str = "ratee") -> Ratee:
        """A validated ratee.

        Raises:
            RatingRefusedError: naming ``field`` and the reason if any part is invalid.
        """
        try:
            if kind == "organisation":
                if role:
                    raise ValueError("an organisation has no professional role")
                return cls(kind, validate_uscc(ident))
            if kind != "professional":
                raise ValueError(f"ratee kind must be organisation or professional, not {kind!r}")
        except ValueError as exc:
            raise RatingRefusedError("rating refused", [Problem(field, str(exc))]) from None
        return cls(kind, _person(ident, field), _role(role, field))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], field: str = "ratee") -> Ratee:
        """The ratee of a ledger entry's ``{"kind", "id", "role"}`` mapping (validated)."""
        return cls.checked(str(data.get("kind")), str(data.get("id")), data.get("role"), field)

    @property
    def key(self) -> str:
        """A stable text key: ``organisation:USCC`` or ``professional:ID:role``."""
        return f"{self.kind}:{self.id}" + (f":{self.role}" if self.role else "")

    @property
    def person_id(self) -> str | None:
        """The professional's resident id (None for an organisation)."""
        return self.id if self.kind == "professional" else None

    def as_data(self) -> dict[str, str]:
        """The ratee as ledger data."""
        return {"kind": self.kind, "id": self.id, **({"role": self.role} if self.role else {})}

    def masked(self) -> str:
        """For public display: organisations and professionals with masked identifiers."""
        subject_kind = "organisation" if self.kind == "organisation" else "person"
        shown = mask_subject_id(subject_kind, self.id)
        return shown + (f" ({self.role})" if self.role else "")


def _is_person(ident: str) -> bool:
    try:
        validate_resident_id(ident)
    except ValueError:
        return False
    return True


def _person(ident: str, field: str) -> str:
    try:
        return validate_resident_id(ident)[0]
    except ValueError as exc:
        raise RatingRefusedError("rating refused", [Problem(f"{field}.id", str(exc))]) from None


def _role(role: str | None, field: str) -> str:
    if role not in PROFESSIONAL_ROLES:
        reason = (
            "a person may be rated only in a professional role "
            f"({', '.join(sorted(PROFESSIONAL_ROLES))}), never as a private person"
            if not role
            else f"unknown professional role {role!r}"
        )
        raise RatingRefusedError("rating refused", [Problem(f"{field}.role", reason)])
    return role


def check_rater(ident: str, field: str = "rater") -> str:
    """The normalised resident id of a rater.

    Raises:
        RatingRefusedError: naming ``field`` if it is not a valid resident identity number.
    """
    return _person(ident, field)


def check_stars(stars: Mapping[str, Any]) -> dict[str, int]:
    """Stars on every dimension, each an integer 1-5.

    Raises:
        RatingRefusedError: listing every missing, unknown or out-of-range dimension.
    """
    problems = [Problem(f"stars.{k}", "unknown dimension") for k in stars if k not in DIMENSIONS]
    out: dict[str, int] = {}
    for name in DIMENSIONS:
        value = stars.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            problems.append(Problem(f"stars.{name}", f"must be a whole number 1-5, not {value!r}"))
        else:
            out[name] = value
    if problems:
        raise RatingRefusedError("rating refused", problems)
    return out


def check_text(text: str | None, field: str = "text") -> str | None:
    """Optional short text, stripped; None when empty.

    Raises:
        RatingRefusedError: if it is longer than :data:`MAX_TEXT` characters.
    """
    if text is None or not text.strip():
        return None
    if len(text) > MAX_TEXT:
        raise RatingRefusedError(
            "rating refused", [Problem(field, f"at most {MAX_TEXT} characters, not {len(text)}")]
        )
    return text.strip()


@dataclass(frozen=True, slots=True)
class RatingParams:
    """Every parameter of token handling and aggregation, with the defaults used in the docs.

    Attributes:
        token_days: a token may be used within this many days of issue.
        period_days: one counted rating per rater and ratee per period (later ones are kept
            but not counted).
        reveal_days: when both sides of an interaction rate each other, neither rating is
            shown until both are in or this many days after the first token was issued.
        prior_strength: total weight of the Dirichlet prior per dimension (spread evenly over
            the five stars: a prior mean of 3).
        half_life_days: forgetting factor: a rating's weight halves every this many days.
        min_evidence: ratees with less effective (weighted) evidence are low-evidence.
        credible: two-sided credible level of the reported interval.
        calibration_shrink: pseudo-ratings of zero bias in each rater's bias estimate.
        trust_restart: EigenTrust restart probability to the pre-trusted seeds.
        trust_iterations: maximum power iterations.
        trust_floor: the smallest trust weight of a rater (0 excludes untrusted raters).
        burst_days: width of a burst-detection bin.
        burst_z: a bin is a burst when its count exceeds the ratee's mean + z * sqrt(mean).
        burst_min: ... and is at least this many ratings.
        burst_deviation: within a burst, ratings this many stars away from the ratee's
            baseline are suspicious.
        ring_min: smallest group of raters that co-rating counts as a ring.
        ring_z: a co-rated pair of ratees is a ring when its support exceeds the null
            expectation + z * sqrt(expectation).
        lone_weight: the largest weight of a thinly connected rater (every rating of one
            ratee, or all within ``short_days``), however many tokens it holds; such raters
            are never trust seeds.
        short_days: a rater whose ratings all lie within this many days appeared only in a
            short window.
        new_days: a rater is new for this many days after their first rating.
        low_trust: raters whose trust weight is below this are low-trust.
        shift_k: CUSUM allowance per rating, in spreads of ratings around their baseline.
        shift_h: CUSUM alarm threshold, in the same units.
        shift_deviation: within an alarm, suspect ratings this many stars from the ratee's
            baseline, in the alarm's direction, are suspicious.
    """

    token_days: int = 30
    period_days: int = 30
    reveal_days: int = 14
    prior_strength: float = 2.0
    half_life_days: float = 365.0
    min_evidence: float = 10.0
    credible: float = 0.9
    calibration_shrink: float = 3.0
    trust_restart: float = 0.15
    trust_iterations: int = 50
    trust_floor: float = 0.0
    burst_days: float = 7.0
    burst_z: float = 4.0
    burst_min: int = 8
    burst_deviation: float = 1.5
    ring_min: int = 8
    ring_z: float = 5.0
    lone_weight: float = 0.1
    short_days: float = 30.0
    new_days: float = 180.0
    low_trust: float = 0.5
    shift_k: float = 1.0
    shift_h: float = 8.0
    shift_deviation: float = 1.5

    @property
    def token_us(self) -> int:
        """Token lifetime in microseconds."""
        return self.token_days * _DAY_US

    @property
    def period_us(self) -> int:
        """Counting period in microseconds."""
        return self.period_days * _DAY_US

    @property
    def reveal_us(self) -> int:
        """Reveal window in microseconds."""
        return self.reveal_days * _DAY_US
