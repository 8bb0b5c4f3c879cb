"""Use cases: a subject's rights: disputes and appeals, statements, the report and export of
the file, who read it, the record lifecycle a source controls, and the subject's own page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..accounts import Principal, Role
from ..errors import NotFoundError, PermissionDeniedError
from ._core import DEFAULT_PURPOSE, SUBJECT_ACCESS
from ._scores import ScoreUseCases, score_points

if TYPE_CHECKING:
    from socialcredit.rights import (
        DisputeState,
        FileReadV1,
        Purpose,
        QueueItem,
        Statement,
    )

    from ..consequences import EnquiryV1
    from ..policy import PublishedBundle
    from ..records import RecordStatus
    from ..scoring import Explanation, ScoreResult

__all__ = ["HISTORY_SPAN", "HISTORY_STEP", "OwnFile", "RightsUseCases"]

#: How far back a subject's own score chart goes, and how often it samples.
HISTORY_SPAN = timedelta(days=3 * 365)
HISTORY_STEP = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class OwnFile:
    """What a subject's own page shows, read at one moment under the lock.

    Attributes:
        explanation: the grade, every record's contribution and the way up.
        history: the score every :data:`HISTORY_STEP` over the last :data:`HISTORY_SPAN`.
        in_force: the policy bundle in force, if one was published.
        statuses: each counted record's lifecycle status, by position.
        disputes: the subject's disputes.
        statements: the subject's statements, by record position.
        reads: every logged read of the file, oldest first (this one included).
        enquiries: every decision asked about the subject, oldest first.
        consequences: list memberships and decisions, as JSON.
    """

    explanation: Explanation
    history: list[ScoreResult]
    in_force: PublishedBundle | None
    statuses: dict[int, RecordStatus]
    disputes: list[DisputeState]
    statements: dict[int, list[Statement]]
    reads: list[FileReadV1]
    enquiries: list[EnquiryV1]
    consequences: dict[str, Any]


class RightsUseCases(ScoreUseCases):
    """A subject's rights: disputes and appeals, statements, the report and export of the
    file, who read it, and the lifecycle of a record (correct, withdraw, recertify).

    Own-subject rule: a subject may act only on their own file (``PermissionDeniedError``);
    the ``own_*`` methods, for the subject's own pages, answer a position or dispute outside
    the file with ``NotFoundError`` instead, as if it did not exist."""

    # ------------------------------------------------------------------ small shared reads

    def check_own_entry(self, who: Principal, position: int) -> None:
        """Refuse a subject acting on an entry about someone else (any other caller passes
        without a read).

        Raises:
            PermissionDeniedError: if ``who`` is a subject and the entry is not about them.
            NotFoundError: if ``who`` is a subject and there is no such entry.
        """
        if who.role is Role.SUBJECT:
            self.check_own(who, self.subject_at(position))

    def check_own_record(self, who: Principal, position: int) -> None:
        """Refuse, as not found, a position that is not one of the records in ``who``'s own
        file (``who`` is a subject).

        Raises:
            NotFoundError: if it is not.
        """
        subject = who.subject
        with self.fresh_index() as index:
            mine = subject is not None and position in {
                row.position for row in index.records(*subject)
            }
        if not mine:
            raise NotFoundError(f"entry {position} is not a record in your file")

    @staticmethod
    def purposes() -> list[Purpose]:
        """The whitelist of purposes for which a file may be read."""
        from socialcredit.rights import purposes

        return list(purposes().values())

    # --------------------------------------------------------------- the file, read whole

    def report(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        at: datetime | None = None,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        """The subject access report (records with source, legal basis, contribution, status,
        statements and inclusion proofs; disputes; reads; consequences) at ``at`` (default
        now); a logged read, redacted for a purpose without personal data.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: if the purpose or the reader is refused (nothing is written).
        """
        from ..reports import subject_report

        self.check_own(who, subject)
        with self.lock:
            return subject_report(
                self.ledger, *subject, at, who.account, self.read_purpose(who, purpose)
            )

    def credit_report(
        self,
        who: Principal,
        subject: tuple[str, str],
        *,
        at: datetime | None = None,
        purpose: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
        """:meth:`report`, with the English and Chinese names of its record kinds, for a PDF
        drawn outside the lock (:func:`socialcredit.documents.render_credit_report`).

        Raises:
            PermissionDeniedError, ValidationError: as :meth:`report`.
        """
        from ..documents import kind_labels

        with self.lock:
            found = self.report(who, subject, at=at, purpose=purpose)
            return found, kind_labels(self.ledger, found)

    def export_file(
        self, who: Principal, subject: tuple[str, str], *, purpose: str | None = None
    ) -> dict[str, Any]:
        """The whole file as JSON: the report plus every ledger entry about the subject; a
        logged read.

        Raises:
            PermissionDeniedError, ValidationError: as :meth:`report`.
        """
        from ..reports import export_file

        self.check_own(who, subject)
        with self.lock:
            return export_file(self.ledger, *subject, who.account, self.read_purpose(who, purpose))

    def enterprise_report(self, uscc: str, at: datetime | None = None) -> dict[str, Any]:
        """The public enterprise credit report of organisation ``uscc`` at ``at`` (default
        now): only what anyone may see, not a logged read.

        Raises:
            ValidationError: naming ``organisation`` if the id is not a valid USCC.
            NotFoundError: if the ledger has never seen the organisation.
        """
        from ..documents import enterprise_report

        with self.lock:
            return enterprise_report(self.ledger, uscc, at)

    def organisation_report(self, number: int) -> dict[str, Any]:
        """The public enterprise credit report, now, of the organisation with internal
        ``number`` (as the portal's pages name it).

        Raises:
            NotFoundError: if there is no organisation ``number``.
        """
        from ..documents import enterprise_report

        subject = self.organisation_at(number)
        with self.fresh_index() as index:
            return enterprise_report(self.ledger, subject[1], index=index)

    def reads(self, who: Principal, subject: tuple[str, str]) -> list[FileReadV1]:
        """Every logged read of SUBJECT's file: who, when, for which purpose.

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
        """
        from ..rights import reads_of

        self.check_own(who, subject)
        with self.lock:
            return reads_of(self.ledger, subject)

    def own_file(self, who: Principal, at: datetime | None = None) -> OwnFile:
        """Everything a subject's own page shows about ``who``'s file at ``at`` (default now),
        read under one lock after logging the read (purpose ``subject_access``).

        Raises:
            NotFoundError: if ``who`` has no file.
        """
        from socialcredit.timeutil import to_us

        from ..consequences import enquiries_of
        from ..rights import disputes_of, reads_of, statements_of
        from ..scoring import explain

        subject = self._own_subject(who)
        now = at or datetime.now(UTC)
        with self.fresh_index() as index:
            self.log_page_read(who, subject, SUBJECT_ACCESS)
            found = explain(index, *subject, as_of=now, known_at=now)
            statuses = {
                c.position: index.status(c.position, to_us(now)) for c in found.result.contributions
            }
            return OwnFile(
                explanation=found,
                history=score_points(index, subject, now - HISTORY_SPAN, now, HISTORY_STEP),
                in_force=self.in_force(now),
                statuses=statuses,
                # Filtered here rather than with disputes_of(subject=...), which (for now)
                # misses decisions: their entries do not carry the subject's id.
                disputes=[d for d in disputes_of(self.ledger) if d.subject == subject],
                statements=statements_of(self.ledger, subject),
                reads=reads_of(self.ledger, subject),
                enquiries=enquiries_of(self.ledger, subject),
                consequences=self.consequences(who, subject, at=now, logged=False).to_json(),
            )

    @staticmethod
    def _own_subject(who: Principal) -> tuple[str, str]:
        if who.subject is None:
            raise NotFoundError("this account has no file")
        return who.subject

    def own_proof(self, who: Principal, position: int) -> dict[str, Any]:
        """The inclusion proof of one of ``who``'s records, to check offline.

        Raises:
            NotFoundError: if the entry is not a record in ``who``'s file.
        """
        from ..ledger import inclusion_document

        self.check_own_record(who, position)
        with self.lock:
            return inclusion_document(self.ledger, position)

    # ------------------------------------------------------------------------- disputes

    def disputes(
        self, who: Principal, subject: tuple[str, str], *, purpose: str | None = None
    ) -> list[DisputeState]:
        """Every dispute about SUBJECT's records and ratings, with state and deadlines; a
        logged read (``disputes``).

        Raises:
            PermissionDeniedError: if a subject asks about someone else.
            ValidationError: if the purpose is not on the whitelist.
        """
        from ..rights import disputes_of

        self.check_own(who, subject)
        self.log_reads(who, [subject], purpose, "disputes")
        with self.lock:
            return disputes_of(self.ledger, subject=subject)

    def dispute(
        self, who: Principal, dispute_id: str, *, purpose: str | None = None
    ) -> DisputeState:
        """One dispute now: state, deadlines, evidence, decision, appeal; a logged read of
        its subject's file (``disputes``).

        Raises:
            NotFoundError: if there is no such dispute.
            PermissionDeniedError: if a subject asks about someone else's.
        """
        found = self.dispute_state(dispute_id)
        self.check_own(who, found.subject)
        self.log_reads(who, [found.subject], purpose, "disputes")
        return found

    def dispute_state(self, dispute_id: str, at_us: int | None = None) -> DisputeState:
        """Where DISPUTE stands at ledger time ``at_us`` (default now); not a logged read
        (for an operator's command confirming what it did).

        Raises:
            NotFoundError: if there is no such dispute.
        """
        from ..rights import dispute_state

        with self.lock:
            return dispute_state(self.ledger, dispute_id, at_us)

    def dispute_case(self, who: Principal, dispute_id: str) -> tuple[DisputeState, dict[str, Any]]:
        """A dispute with what an officer needs to judge the disputed record (its type,
        dates, source, amount; the subject left out): a logged read of the subject's file
        (``file``, purpose ``dispute_handling``).

        Raises:
            NotFoundError: if there is no such dispute.
        """
        with self.lock:
            found = self.dispute_state(dispute_id)
            self.log_page_read(who, found.subject, DEFAULT_PURPOSE)
            entry = self.ledger.entry(found.target)
        data = dict(entry.data)
        data.pop("subject", None)  # shown masked beside it
        data.pop("idempotency_key", None)
        return found, {"type": entry.type, "recorded_at": entry.recorded_at, **data}

    def dispute_queue(
        self,
        who: Principal,
        *,
        at_us: int | None = None,
        purpose: str | None = None,
        logged: bool = True,
    ) -> list[QueueItem]:
        """The officers' work at ledger time ``at_us`` (default now), most urgent first: what
        to do, by when, whether overdue. Each person on it is logged as read (``listing``),
        unless ``logged`` is False (a page that shows no personal data).

        Raises:
            ValidationError: if the purpose is not on the whitelist (nothing is logged).
        """
        from ..rights import queue

        with self.lock:
            items = queue(self.ledger, at_us)
            if logged:
                subjects = list(dict.fromkeys(i.dispute.subject for i in items))
                self.log_reads(who, subjects, purpose, "listing")
        return items

    def open_dispute(self, who: Principal, target: int, grounds: str) -> str:
        """Dispute the record or rating at ledger position ``target`` (a subject: only one
        about themselves); the dispute's id.

        Raises:
            NotFoundError: if there is no entry at ``target``.
            PermissionDeniedError: if a subject disputes someone else's entry.
            DisputeRefusedError: if the entry cannot be disputed (not a record, already open).
            ValidationError: if the grounds are bad.
        """
        from ..rights import open_dispute

        self.check_own_entry(who, target)
        with self.lock:
            return open_dispute(self.ledger, target, grounds)

    def dispute_own_record(self, who: Principal, position: int, grounds: str) -> str:
        """A subject disputes one of their own records (:meth:`open_dispute`).

        Raises:
            NotFoundError: if ``position`` is not a record in ``who``'s file.
            DisputeRefusedError, ValidationError: as :meth:`open_dispute`.
        """
        self.check_own_record(who, position)
        return self.open_dispute(who, position, grounds)

    def acknowledge_dispute(self, who: Principal, dispute_id: str) -> int:
        """Acknowledge an open dispute as ``who`` (due within 5 business days of opening);
        the entry's position.

        Raises:
            NotFoundError: if there is no such dispute.
            DisputeRefusedError: if it is already acknowledged or decided.
        """
        from ..rights import acknowledge

        with self.lock:
            return acknowledge(self.ledger, dispute_id, who.account)

    def _check_own_dispute(self, who: Principal, dispute_id: str) -> None:
        if who.role is Role.SUBJECT:
            self.check_own(who, self.dispute_state(dispute_id).subject)

    def add_evidence(self, who: Principal, dispute_id: str, text: str) -> int:
        """Add new evidence brought by ``who`` (before day 30 it extends the decision
        deadline to 45 days); the entry's position.

        Raises:
            NotFoundError: if there is no such dispute.
            PermissionDeniedError: if a subject adds to someone else's dispute.
            DisputeRefusedError: if it is decided.
            ValidationError: if the text is bad.
        """
        from ..rights import add_evidence

        self._check_own_dispute(who, dispute_id)
        with self.lock:
            return add_evidence(self.ledger, dispute_id, text, who.account)

    def decide_dispute(
        self,
        who: Principal,
        dispute_id: str,
        outcome: str,
        reason: str,
        changes: dict[str, Any] | None = None,
    ) -> int:
        """Decide a dispute as officer ``who``: upheld, corrected (with ``changes``) or
        deleted; the entry's position.

        Raises:
            NotFoundError: if there is no such dispute.
            DisputeRefusedError: if it cannot be decided now.
            ValidationError: naming the field of a bad outcome, reason or change.
        """
        from ..rights import decide

        with self.lock:
            return decide(self.ledger, dispute_id, outcome, who.account, reason, changes)

    def appeal_dispute(self, who: Principal, dispute_id: str, grounds: str) -> str:
        """Appeal a decided dispute (once); the appeal's id.

        Raises:
            NotFoundError: if there is no such dispute.
            PermissionDeniedError: if a subject appeals someone else's dispute.
            DisputeRefusedError: if it is undecided or was already appealed.
        """
        from ..rights import appeal

        self._check_own_dispute(who, dispute_id)
        with self.lock:
            return appeal(self.ledger, dispute_id, grounds)

    def appeal_own_dispute(self, who: Principal, dispute_id: str, grounds: str) -> str:
        """A subject appeals the decision on one of their own disputes (:meth:`appeal_dispute`).

        Raises:
            NotFoundError: if there is no such dispute in ``who``'s file.
            DisputeRefusedError: as :meth:`appeal_dispute`.
        """
        if self.dispute_state(dispute_id).subject != who.subject:
            raise NotFoundError(f"no dispute {dispute_id!r} in your file")
        return self.appeal_dispute(who, dispute_id, grounds)

    def decide_dispute_appeal(
        self,
        who: Principal,
        dispute_id: str,
        outcome: str,
        reason: str,
        changes: dict[str, Any] | None = None,
    ) -> int:
        """Decide an appeal (confirmed, corrected, deleted) as ``who``, an officer other than
        the first decider; the entry's position.

        Raises:
            NotFoundError: if there is no such dispute.
            DisputeRefusedError: if there is no open appeal or ``who`` decided the dispute.
            ValidationError: naming the field of a bad outcome, reason or change.
        """
        from ..rights import decide_appeal

        with self.lock:
            return decide_appeal(self.ledger, dispute_id, outcome, who.account, reason, changes)

    # ------------------------------------------------------------ statements, the lifecycle

    def attach_statement(
        self, who: Principal, subject: tuple[str, str] | None, position: int, text: str
    ) -> int:
        """Attach SUBJECT's statement to their record at ``position`` (it travels with the
        record); the entry's position.

        Raises:
            NotFoundError: if ``subject`` is None (an account without a file) or there is no
                entry at ``position``.
            PermissionDeniedError: if a subject states on someone else's record.
            ValidationError: if the text is bad or the record is not the subject's.
        """
        from ..rights import attach_statement

        if subject is None:
            raise NotFoundError("this account has no file")
        self.check_own(who, subject)
        self.check_own_entry(who, position)
        with self.lock:
            return attach_statement(self.ledger, subject, position, text)

    def state_on_own_record(self, who: Principal, position: int, text: str) -> int:
        """A subject attaches a statement to one of their own records (:meth:`attach_statement`).

        Raises:
            NotFoundError: if ``position`` is not a record in ``who``'s file.
            ValidationError: as :meth:`attach_statement`.
        """
        self.check_own_record(who, position)
        return self.attach_statement(who, who.subject, position, text)

    def _check_source(self, who: Principal, position: int) -> None:
        """A source may change only its own records, of kinds it may file."""
        if who.role is not Role.SOURCE:
            return
        with self.lock:
            data = self.ledger.entry(position).data
        if data.get("kind") not in who.allowed_kinds:
            raise PermissionDeniedError("this source may not change records of this kind")
        if data.get("source") != who.name:
            raise PermissionDeniedError(
                f"record {position} was filed by another source; only its own source may "
                "correct, withdraw or recertify it"
            )

    def correct_record(
        self, who: Principal, position: int, changes: dict[str, Any], reason: str
    ) -> int:
        """The source ``who`` corrects its record (amount and/or occurred_at); the entry's
        position.

        Raises:
            NotFoundError: if there is no entry at ``position``.
            PermissionDeniedError: if a source changes another source's record or a kind it
                may not file.
            DisputeRefusedError: if it is not a record or is withdrawn.
            ValidationError: on a bad change or reason.
        """
        from ..rights import correct_record

        self._check_source(who, position)
        with self.lock:
            return correct_record(self.ledger, position, changes, who.name, reason)

    def withdraw_record(self, who: Principal, position: int, reason: str) -> int:
        """The source ``who`` withdraws its record; it stops counting until recertified. The
        entry's position.

        Raises:
            NotFoundError, PermissionDeniedError: as :meth:`correct_record`.
            DisputeRefusedError: if it is not a record or is already withdrawn.
        """
        from ..rights import withdraw_record

        self._check_source(who, position)
        with self.lock:
            return withdraw_record(self.ledger, position, who.name, reason)

    def recertify_record(self, who: Principal, position: int, evidence: str) -> int:
        """The source ``who`` brings a withdrawn record back on its certification (a notice
        goes to the subject); the entry's position.

        Raises:
            NotFoundError, PermissionDeniedError: as :meth:`correct_record`.
            DisputeRefusedError: if it is not a record or is not withdrawn.
        """
        from ..rights import recertify

        self._check_source(who, position)
        with self.lock:
            return recertify(self.ledger, position, who.name, evidence)
