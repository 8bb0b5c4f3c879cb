"""Use cases: ratings of businesses and professionals: interaction records, tokens, ratings,
replies, disputes, the public ratee page and the organisations' rating assessments.

Who may do what (:mod:`socialcredit.ratings._interactions`): a source of an authority kind that
files interaction records (tax, payment) files them and issues tokens against them; a ratee's
own account issues tokens as the ratee and replies to or disputes its ratings; a subject rates
as themselves. An operator (an admin, such as the command line's) acts for anyone it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..accounts import Principal, Role
from ..errors import PermissionDeniedError, Problem, ValidationError
from ._core import SystemCore

if TYPE_CHECKING:
    from socialcredit.ratings import AssessmentSummary

    from ..ratings import IssuedToken, RateeView

__all__ = ["RatingUseCases"]


def _interaction_source(who: Principal, action: str) -> str:
    """The source account ``who`` acts as, if its authority kind files interaction records.

    Raises:
        PermissionDeniedError: if it is not such a source (``action`` says what was refused).
    """
    from socialcredit.ratings import INTERACTION_AUTHORITIES, issues_interactions

    from ..accounts import source_authority

    authority = source_authority(who.role, who.name)
    if not issues_interactions(authority):
        kinds = ", ".join(sorted(INTERACTION_AUTHORITIES))
        if action == "file":
            raise PermissionDeniedError(f"only a source of {kinds} files interaction records")
        raise PermissionDeniedError(
            f"a {authority or 'unregistered'} source may not issue rating tokens (only {kinds})"
        )
    return who.name


def _check_own_ratee(who: Principal, ratee: str) -> None:
    """A subject may act only as the ratee that is themselves (a professional).

    Raises:
        PermissionDeniedError: if ``who`` is a subject and ``ratee`` is not them.
        RatingRefusedError: naming ``ratee`` if a subject names no valid ratee.
    """
    from ..ratings import Ratee

    if who.role is Role.SUBJECT:
        parsed = Ratee.parse(ratee)
        if who.subject is None or parsed.id != who.subject[1]:
            raise PermissionDeniedError("a subject may act only for their own ratings")


def _token_source(who: Principal, issuer: str, ratee: str) -> str | None:
    """The source to check a token's interaction record against: None when the ratee's own
    account (or an operator) issues.

    Raises:
        PermissionDeniedError: unless ``who`` is the ratee's own account issuing as the
            ratee, an operator, or a source of an authority kind that files interaction
            records issuing against such a record.
    """
    third_party = issuer.startswith("record:")
    if who.role is Role.SUBJECT:
        _check_own_ratee(who, ratee)
        if third_party:
            raise PermissionDeniedError(
                "the ratee's account issues tokens as the ratee; a token against an interaction "
                "record is issued by the source that filed it"
            )
        return None
    if who.role is Role.ADMIN:
        return None
    source = _interaction_source(who, "issue")
    if not third_party:
        raise PermissionDeniedError("a source issues tokens only against its interaction records")
    return source


class RatingUseCases(SystemCore):
    """Ratings of businesses and professionals: interaction records, tokens, ratings, replies,
    disputes, the public ratee page and the rating assessments."""

    def record_interaction(
        self, who: Principal, buyer: str, seller: str, reference: str, *, source: str = ""
    ) -> int:
        """File the record of one interaction (an e-invoice or payment) in which ``buyer``
        bought from ``seller``; a token against it (``record:<position>``) is third-party
        verified. A source files as itself; an operator names the ``source``. The entry's
        position.

        Raises:
            PermissionDeniedError: if a source's authority kind files no interaction records.
            ValidationError: naming ``source`` if an operator names none.
            RatingRefusedError: naming each bad field (see
                :func:`socialcredit.ratings.record_interaction`).
        """
        from ..ratings import record_interaction

        if who.role is Role.SOURCE:
            source = _interaction_source(who, "file")
        elif not source:
            raise ValidationError("no source", [Problem("source", "name the filing source")])
        with self.lock:
            return record_interaction(self.ledger, source, buyer, seller, reference)

    def issue_rating_token(
        self, who: Principal, issuer: str, rater: str, ratee: str, interaction: str
    ) -> IssuedToken:
        """Issue a single-use token for ``rater`` to rate ``ratee`` once, for one verified
        interaction: ``issuer`` is the ratee itself (its own account, or an operator) or
        ``record:<position>`` of an interaction record its filing source issues against.

        Raises:
            PermissionDeniedError: if ``who`` may not issue this token (see the module).
            RatingRefusedError: naming the bad field: issuer, rater, ratee, interaction, or a
                token already issued for this interaction.
        """
        from ..ratings import issue_token

        source = _token_source(who, issuer, ratee)
        with self.lock:
            return issue_token(self.ledger, issuer, rater, ratee, interaction, source=source)

    def rate(
        self,
        who: Principal,
        token: str,
        ratee: str,
        stars: Mapping[str, int],
        text: str | None = None,
        *,
        rater: str | None = None,
    ) -> int:
        """Rate ``ratee`` with ``token``: 1-5 ``stars`` on every dimension and an optional
        text. A subject rates as themselves; an operator names the ``rater``. The entry's
        position.

        Raises:
            PermissionDeniedError: if a subject's account has no resident id to rate as.
            RatingRefusedError: naming the bad field (token, rater, ratee, stars, text).
        """
        from ..ratings import rate

        if who.role is Role.SUBJECT:
            if who.subject is None:
                raise PermissionDeniedError("this account has no resident id to rate as")
            rater = who.subject[1]
        with self.lock:
            return rate(self.ledger, token, rater or "", ratee, stars, text)

    def reply_to_rating(self, who: Principal, position: int, ratee: str, text: str) -> int:
        """Post ``ratee``'s one public reply to the rating at ``position``. The entry's
        position.

        Raises:
            PermissionDeniedError: if a subject replies for a ratee other than themselves.
            RatingRefusedError: no such rating, not the ratee's, a bad text, or a reply
                already posted.
        """
        from ..ratings import reply

        _check_own_ratee(who, ratee)
        with self.lock:
            return reply(self.ledger, position, ratee, text)

    def dispute_rating(self, who: Principal, position: int, ratee: str, grounds: str) -> str:
        """``ratee`` disputes the rating at ``position`` (the same dispute process as for
        records). The dispute's id.

        Raises:
            PermissionDeniedError: if a subject disputes for a ratee other than themselves.
            RatingRefusedError: no such rating, or not the ratee's.
            ValidationError: if the grounds are bad.
        """
        from ..ratings import dispute

        _check_own_ratee(who, ratee)
        with self.lock:
            return dispute(self.ledger, position, ratee, grounds)

    def ratee_view(self, ratee: str, at: datetime | None = None) -> RateeView:
        """``ratee``'s public page at ``at`` (default now): the aggregate with its credible
        interval, the shown ratings (raters masked) and how many are still sealed.

        Raises:
            RatingRefusedError: naming ``ratee`` if it is not a USCC or RESIDENT_ID:ROLE.
        """
        from ..ratings import ratee_view

        with self.lock:
            return ratee_view(self.ledger, ratee, at or datetime.now(UTC))

    def assess_ratings(self, at: datetime | None = None) -> AssessmentSummary:
        """File each organisation's rating assessment as of ``at`` (default: the ledger's time
        now), superseding its standing one, so that the policy's ``public_rating`` rules
        turn public opinion into points; unchanged ones are left alone.

        Raises:
            RecordRefusedError: if the policy in force does not admit the assessment kinds.
        """
        from socialcredit.ratings import assess

        with self.lock:
            return assess(self.ledger, at)
