"""Use cases: a subject's score, explanation and history, and the consequences of a file:
decisions at points of service, the lists, hardship, restoration and legal representatives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from socialcredit.timeutil import to_us

from ..accounts import Principal
from ..errors import Problem, ValidationError
from ..scoring import Explanation, Rescore, ScoreResult, explain, score
from ._core import SystemCore

if TYPE_CHECKING:
    from socialcredit.consequences import ExportCheck, ListExport
    from socialcredit.policy import Service
    from socialcredit.rights import Statement

    from ..consequences import Decision, IdentifiedListing, PublicListing, SubjectConsequences
    from ..policy import ListDefinition
    from ..records import RecordIndex

__all__ = ["MAX_HISTORY_POINTS", "ScoreUseCases", "score_points"]

#: The most points one history may have.
MAX_HISTORY_POINTS = 400


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


def score_points(
    index: RecordIndex, subject: tuple[str, str], start: datetime, end: datetime, every: timedelta
) -> list[ScoreResult]:
    """SUBJECT's score at ``start``, ``start + every``, ... up to ``end``, each as known on its
    date under the policy in force then: what :func:`socialcredit.scoring.history` computes,
    scored on a caught-up ``index`` (the caller holds its lock) instead of one rebuilt from the
    whole ledger."""
    points = []
    at = start
    while at <= end:
        points.append(score(index, *subject, as_of=at))
        at += every
    return points


class ScoreUseCases(SystemCore):
    """Scores and consequences. Reads of a person's file are logged before they happen
    (``who`` and ``purpose``: see :meth:`SystemCore.log_reads`)."""

    def score(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        purpose: str | None = None,
    ) -> ScoreResult:
        """SUBJECT's score per dimension and in total, its grade and sector grades, as of
        ``as_of`` (default now) as known at ``known_at`` (default ``as_of``); a logged read.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: if the purpose is not on the whitelist.
        """
        when = _now(as_of)
        self.log_reads(who, [subject], purpose)
        with self.fresh_index(subject) as index:
            return score(index, *subject, as_of=when, known_at=known_at or when)

    def explain(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        purpose: str | None = None,
    ) -> Explanation:
        """Every record's contribution to SUBJECT's score, the top reasons, the way up and
        when records expire (as for :meth:`score`); a logged read.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: if the purpose is not on the whitelist.
        """
        when = _now(as_of)
        self.log_reads(who, [subject], purpose)
        with self.fresh_index(subject) as index:
            return explain(index, *subject, as_of=when, known_at=known_at or when)

    def statements_about(
        self, subject: tuple[str, str], known_at: datetime | None = None
    ) -> dict[int, list[Statement]]:
        """The subject's own statements on their records, by record position, as known at
        ``known_at`` (default: what the ledger knows now): they travel with the record, so
        every explanation shown to anyone carries them. Part of a read already logged."""
        from ..rights import statements_of

        with self.lock:
            return statements_of(
                self.ledger, subject, None if known_at is None else to_us(known_at)
            )

    def history(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        start: datetime,
        end: datetime | None = None,
        every: timedelta = timedelta(days=30),
        purpose: str | None = None,
        max_points: int | None = MAX_HISTORY_POINTS,
    ) -> list[ScoreResult]:
        """SUBJECT's score at ``start``, ``start + every``, ... up to ``end`` (default now),
        each as known on its date under the policy in force then; a logged read. A server
        keeps the default ``max_points``; an operator's command may pass None (no limit).

        Raises:
            ValidationError: naming ``from`` if the period is empty or has more than
                ``max_points`` points, or ``every`` if it is not positive.
            PermissionDeniedError: if a subject asks about someone else.
        """
        last = _now(end)
        if every <= timedelta(0):
            raise ValidationError("bad period", [Problem("every", "must be positive")])
        too_many = max_points is not None and (last - start) / every > max_points
        if start > last or too_many:
            raise ValidationError(
                "bad period",
                [Problem("from", f"must be before 'to', with at most {max_points} points")],
            )
        self.log_reads(who, [subject], purpose)
        with self.fresh_index(subject) as index:
            return score_points(index, subject, start, last, every)

    def rescore(
        self,
        *,
        as_of: datetime,
        known_at: datetime | None = None,
        engine: str = "duckdb",
        master: str = "local[2]",
    ) -> Rescore:
        """Every subject's score at once, by the batch evaluator (DuckDB, or Spark at
        ``master``), over the effective records known at ``known_at`` (default ``as_of``);
        see :func:`socialcredit.scoring.rescore`.

        Raises:
            ConfigurationError: if the engine is unknown, or Spark cannot start.
        """
        from ..scoring import rescore

        with self.lock:
            return rescore(
                self.ledger, as_of=as_of, known_at=known_at, engine=engine, master=master
            )

    # ------------------------------------------------------------------ consequences

    def decide(
        self,
        who: Principal,
        subject: tuple[str, str],
        service: str,
        *,
        at: datetime | None = None,
        purpose: str | None = None,
    ) -> Decision:
        """Allow, deny or reward ``service`` for SUBJECT, with reasons and recourse; the
        decision is written to the ledger (``DecisionMade``, attributed to ``who`` and the
        purpose, default the service decision itself). While serving, the decision service
        answers from its view and its group-commit writer records it; otherwise (a command)
        the service is checked against the policy first, only SUBJECT's entries are read, and
        the entry is written before this returns.

        Raises:
            ValidationError: naming ``service`` or ``purpose`` if it is unknown (before any
                subject's entries are read).
            LedgerOverloadedError: if the audit writer is full.
        """
        from ..consequences import DecisionService, check_service

        running = self.decisions
        if running is not None:
            return running.decide(*subject, service, at, requester=who.account, purpose=purpose)
        with self.lock:
            check_service(self.ledger, service, at)
            with DecisionService(self.ledger, subjects=[subject]) as decisions:
                return decisions.decide(
                    *subject, service, at, requester=who.account, purpose=purpose
                )

    def services(self, at: datetime | None = None) -> list[Service]:
        """The services of the policy in force ``at`` (default now): what a point of service
        may ask about; none before the first publication."""
        published = self.in_force(at)
        return [] if published is None else list(published.bundle.measures.services)

    def identified_list_members(
        self, who: Principal, list_id: str, purpose: str, at: datetime | None = None
    ) -> list[IdentifiedListing]:
        """Everyone on ``list_id`` at ``at`` (default now) with their real identifiers, for an
        officer whose ``purpose`` may see personal data; a ``FileRead`` (``what: listing``,
        read by ``who``) is logged for every subject shown before the rows are returned.

        Raises:
            NotFoundError: if the policy in force has no such list.
            ValidationError: naming ``purpose`` or ``reader`` if it may not read; nothing is
                written then.
        """
        from ..consequences import identified_members_of_list

        with self.lock:
            return identified_members_of_list(self.ledger, list_id, who.account, purpose, at)

    def export_list(self, list_id: str, at: datetime | None = None) -> ListExport:
        """The public view of ``list_id`` at ``at`` (default now) in the exchange format
        (docs/memoranda.md): identifiers masked, signed with the ledger's key, with a
        checkpoint signed after the list was read.

        Raises:
            NotFoundError: if the policy in force has no such list.
            LedgerError: if the system was opened without the signing key.
        """
        from socialcredit.consequences import export_list

        with self.lock:
            return export_list(self.ledger, list_id, at, view=self.decisions)

    @staticmethod
    def verify_list_export(
        data: bytes, public_key: str | None = None, *, max_age_hours: float = 24.0
    ) -> ExportCheck:
        """Check an exported list offline: signature (against the pinned ``public_key``, else
        the file's own), checkpoint, rows and freshness (at most ``max_age_hours`` old).

        Raises:
            ValidationError: naming ``file`` if ``data`` is not an export at all, or
                ``public_key`` if the pinned key is malformed.
        """
        from socialcredit.consequences import verify_export

        return verify_export(data, public_key, max_age_hours=max_age_hours)

    def lists(self, at: datetime | None = None) -> list[ListDefinition]:
        """The lists of the policy in force ``at`` (default now), with their rules."""
        from ..consequences import lists_in_force

        with self.lock:
            return list(lists_in_force(self.ledger, _now(at)))

    def list_members(self, list_id: str, at: datetime | None = None) -> list[PublicListing]:
        """Everyone on ``list_id`` at ``at`` (default now): in effect, frozen or noticed.

        Raises:
            NotFoundError: if the policy in force has no such list.
        """
        from ..consequences import memberships_of_list

        with self.lock:
            return memberships_of_list(self.ledger, list_id, _now(at), view=self.decisions)

    def consequences(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        at: datetime | None = None,
        purpose: str | None = None,
        logged: bool = True,
    ) -> SubjectConsequences:
        """SUBJECT's list memberships (status, from, until, grounds) and every decision about
        them, from the decision service's view while serving; a logged read (``logged=False``:
        part of a page or report whose read the caller has already checked and logged, or a
        public page about an organisation).

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
        """
        from ..consequences import subject_consequences

        when = _now(at)
        if logged:
            self.log_reads(who, [subject], purpose, "consequences")
        with self.lock:
            view = self.decisions
            if view is None:
                return subject_consequences(self.ledger, *subject, when)
            return view.consequences(*subject, to_us(when))

    def record_hardship(
        self, subject: tuple[str, str], reason: str, evidence: str | None = None
    ) -> int:
        """Record that SUBJECT cannot (rather than will not) pay: restrictions that hardship
        freezes are frozen. The entry's position.

        Raises:
            ValidationError: naming the field if the reason or evidence is bad.
        """
        from ..consequences import record_hardship

        with self.lock:
            return record_hardship(self.ledger, *subject, reason, evidence)

    def end_hardship(self, subject: tuple[str, str], reason: str) -> int:
        """End SUBJECT's hardship period. The entry's position.

        Raises:
            ValidationError: if none is open.
        """
        from ..consequences import end_hardship

        with self.lock:
            return end_hardship(self.ledger, *subject, reason)

    def request_restoration(
        self, who: Principal, subject: tuple[str, str], list_id: str, reason: str
    ) -> int:
        """Apply for SUBJECT's early restoration from ``list_id`` (granted by rule where the
        list allows it). The entry's position.

        Raises:
            PermissionDeniedError: if a subject applies for someone else.
            ValidationError: if the list or the reason is bad.
        """
        from ..consequences import request_restoration

        self.check_own(who, subject)
        with self.lock:
            return request_restoration(self.ledger, *subject, list_id, reason)

    def record_representative(self, uscc: str, representative: str | None, since: datetime) -> int:
        """Record who legally represents organisation ``uscc`` from ``since`` (None: nobody);
        only role-bound measures reach them. The entry's position.

        Raises:
            ValidationError: naming the field if an identifier or the date is bad.
        """
        from ..consequences import record_legal_representative

        with self.lock:
            return record_legal_representative(
                self.ledger, uscc.strip().upper(), representative, since
            )
