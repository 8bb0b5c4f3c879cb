"""Use cases: credit repair (applications, decisions, appeals, the queue) and credit
commitments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..accounts import Principal, Role
from ..errors import NotFoundError, SocialCreditError
from ._core import DEFAULT_PURPOSE, SUBJECT_ACCESS, SystemCore

if TYPE_CHECKING:
    from socialcredit.rights import Condition, RepairQueueItem, RepairState

    from ..catalogue import Catalogue

__all__ = ["OwnRepair", "RepairUseCases"]


@dataclass(frozen=True, slots=True)
class OwnRepair:
    """What a subject's repair page shows about one of their penalties.

    Attributes:
        conditions: each condition of repair, met or not (empty if ``refusal``).
        refusal: why the penalty cannot be repaired, if it cannot.
        repairs: the subject's applications on it.
    """

    conditions: tuple[Condition, ...]
    refusal: SocialCreditError | None
    repairs: list[RepairState]


class RepairUseCases(SystemCore):
    """Credit repair: the conditions of a penalty's repair, the application, the officer's
    decision, the appeal and the queue; and credit commitments. The catalogue is that of the
    policy in force at the ledger's time."""

    def _repair_catalogue(self) -> Catalogue:
        from socialcredit.timeutil import from_us

        return self.catalogue(from_us(self.ledger.clock()))

    def _check_own_penalty(self, who: Principal, position: int) -> None:
        """Raises NotFoundError unless ``position`` is an entry about ``who``'s own file."""
        try:
            found = self.subject_at(position)
        except NotFoundError:
            found = None
        if found is None or found != who.subject:
            raise NotFoundError(f"entry {position} is not a record in your file")

    def repair_conditions(
        self,
        who: Principal,
        position: int,
        *,
        purpose: str | None = None,
        logged: bool = True,
    ) -> tuple[Condition, ...]:
        """The conditions of repair of the penalty at ``position``, each met or not as they
        stand now; a logged read of its subject's file (``logged=False``: an operator's check
        that reads no personal data).

        Raises:
            NotFoundError: if there is no entry at ``position``.
            PermissionDeniedError: if a subject asks about someone else's penalty.
            DisputeRefusedError: if the entry is not a repairable penalty.
        """
        from socialcredit.rights import repair_conditions

        if logged or who.role is Role.SUBJECT:
            subject = self.subject_at(position)
            self.check_own(who, subject)
            if logged and subject is not None:
                self.log_reads(who, [subject], purpose, "file")
        catalogue = self._repair_catalogue()
        with self.lock:
            return repair_conditions(self.ledger, position, catalogue)

    def apply_for_repair(self, who: Principal, position: int, grounds: str) -> RepairState:
        """Apply to end the publication of the penalty at ``position`` early (a subject: only
        their own); the application as it stands.

        Raises:
            NotFoundError: if there is no entry at ``position``.
            PermissionDeniedError: if a subject applies for someone else.
            DisputeRefusedError: if the penalty cannot be repaired or an application is open.
            ValidationError: if the grounds are bad.
        """
        from socialcredit.rights import apply_for_repair, repair_state

        self.check_own(who, self.subject_at(position))
        catalogue = self._repair_catalogue()
        with self.lock:
            repair_id = apply_for_repair(self.ledger, position, grounds, catalogue)
            return repair_state(self.ledger, repair_id)

    def repair_queue(
        self,
        who: Principal,
        *,
        at_us: int | None = None,
        purpose: str | None = None,
        logged: bool = True,
    ) -> list[RepairQueueItem]:
        """The officers' repair work at ledger time ``at_us`` (default now), overdue first.
        Each person on it is logged as read (``listing``), unless ``logged`` is False (a page
        that shows no personal data).

        Raises:
            ValidationError: if the purpose is not on the whitelist (nothing is logged).
        """
        from socialcredit.rights import repair_queue

        with self.lock:
            items = repair_queue(self.ledger, at_us)
            if logged:
                subjects = list(dict.fromkeys(i.repair.subject for i in items))
                self.log_reads(who, subjects, purpose, "listing")
        return items

    def repair_state(self, repair_id: str) -> RepairState:
        """Where application REPAIR stands now; not a logged read (for an operator's command
        confirming what it did).

        Raises:
            NotFoundError: if there is no such application.
        """
        from socialcredit.rights import repair_state

        with self.lock:
            return repair_state(self.ledger, repair_id)

    def repair(self, who: Principal, repair_id: str, *, purpose: str | None = None) -> RepairState:
        """One application now: conditions, deadline, decision, appeal; a logged read of its
        subject's file.

        Raises:
            NotFoundError: if there is no such application.
            PermissionDeniedError: if a subject asks about someone else's.
        """
        found = self.repair_state(repair_id)
        self.check_own(who, found.subject)
        self.log_reads(who, [found.subject], purpose, "file")
        return found

    def decide_repair(self, who: Principal, repair_id: str, outcome: str, reason: str) -> int:
        """Decide an application as officer ``who``: granted (every condition met) or
        refused; the entry's position (its notice: :meth:`repair_outcome`).

        Raises:
            NotFoundError: if there is no such application.
            DisputeRefusedError: if it cannot be decided so (each unmet condition named).
            ValidationError: naming the field of a bad outcome or reason.
        """
        from socialcredit.rights import decide_repair

        catalogue = self._repair_catalogue()
        with self.lock:
            return decide_repair(self.ledger, repair_id, outcome, who.account, reason, catalogue)

    def appeal_repair(
        self, who: Principal, repair_id: str, grounds: str, *, record: int | None = None
    ) -> str:
        """Appeal a refused application (once); the appeal's id. With ``record``, the
        application must be one on that penalty.

        Raises:
            NotFoundError: if there is no such application (on ``record``).
            PermissionDeniedError: if a subject appeals someone else's.
            DisputeRefusedError: if it is undecided, was granted, or was already appealed.
        """
        from socialcredit.rights import appeal_repair

        found = self.repair_state(repair_id)
        if record is not None and found.record != record:
            raise NotFoundError(f"no application {repair_id!r} on entry {record}")
        self.check_own(who, found.subject)
        with self.lock:
            return appeal_repair(self.ledger, repair_id, grounds)

    def decide_repair_appeal(
        self, who: Principal, repair_id: str, outcome: str, reason: str
    ) -> int:
        """Decide the appeal of a refusal (granted or confirmed) as ``who``, an officer other
        than the first decider; the entry's position.

        Raises:
            NotFoundError: if there is no such application.
            DisputeRefusedError: if there is no open appeal or ``who`` decided it first.
            ValidationError: naming the field of a bad outcome or reason.
        """
        from socialcredit.rights import decide_repair_appeal

        catalogue = self._repair_catalogue()
        with self.lock:
            return decide_repair_appeal(
                self.ledger, repair_id, outcome, who.account, reason, catalogue
            )

    def decide_repair_case(self, who: Principal, repair_id: str, outcome: str, reason: str) -> int:
        """Decide what the application waits for: its appeal if appealed (an appeal officer
        or another officer), else the application itself (an officer); the entry's position.

        Raises:
            NotFoundError: if there is no such application, or ``who`` is not an officer and
                it has no open appeal.
            DisputeRefusedError, ValidationError: as :meth:`decide_repair`.
        """
        if self.repair_state(repair_id).state == "appealed":
            return self.decide_repair_appeal(who, repair_id, outcome, reason)
        if who.role is Role.OFFICER:
            return self.decide_repair(who, repair_id, outcome, reason)
        raise NotFoundError(f"application {repair_id} has no open appeal")

    def repair_outcome(self, repair_id: str, position: int) -> tuple[RepairState, str]:
        """Application REPAIR now and the text of the notice its decision at ``position``
        sent to the subject.

        Raises:
            NotFoundError: if there is no such application or entry.
        """
        found = self.repair_state(repair_id)
        with self.lock:
            notice = self.ledger.entry(position).data["notice"]["text"]
        return found, str(notice)

    # ----------------------------------------------------------- the subject's own pages

    def own_repair(self, who: Principal, position: int) -> OwnRepair:
        """The conditions of repair of one of ``who``'s penalties and their applications on
        it: a logged read of their file (purpose ``subject_access``). A penalty that cannot
        be repaired is answered with the refusal rather than raised.

        Raises:
            NotFoundError: if ``position`` is not an entry about ``who``.
        """
        from socialcredit.rights import repair_conditions, repairs_of

        self._check_own_penalty(who, position)
        assert who.subject is not None  # checked above
        catalogue = self._repair_catalogue()
        with self.lock:
            self.log_page_read(who, who.subject, SUBJECT_ACCESS)
            try:
                found: tuple[Condition, ...] = repair_conditions(self.ledger, position, catalogue)
                refusal = None
            except SocialCreditError as error:
                found, refusal = (), error
            mine = repairs_of(self.ledger, subject=who.subject)
        return OwnRepair(found, refusal, [x for x in mine if x.record == position])

    def apply_for_own_repair(self, who: Principal, position: int, grounds: str) -> RepairState:
        """A subject applies for the repair of one of their penalties (:meth:`apply_for_repair`).

        Raises:
            NotFoundError: if ``position`` is not an entry about ``who``.
            DisputeRefusedError, ValidationError: as :meth:`apply_for_repair`.
        """
        self._check_own_penalty(who, position)
        return self.apply_for_repair(who, position, grounds)

    def appeal_own_repair(self, who: Principal, position: int, repair_id: str, grounds: str) -> str:
        """A subject appeals the refusal of their application on their penalty at
        ``position`` (:meth:`appeal_repair`).

        Raises:
            NotFoundError: if ``position`` is not about ``who`` or the application is not on it.
            DisputeRefusedError: as :meth:`appeal_repair`.
        """
        self._check_own_penalty(who, position)
        return self.appeal_repair(who, repair_id, grounds, record=position)

    def repair_case(
        self, who: Principal, repair_id: str
    ) -> tuple[RepairState, tuple[Condition, ...]]:
        """An application with each condition as it stands now, for an officer to decide: a
        logged read of the subject's file (purpose ``dispute_handling``).

        Raises:
            NotFoundError: if there is no such application.
        """
        from socialcredit.rights import repair_conditions

        catalogue = self._repair_catalogue()
        with self.lock:
            found = self.repair_state(repair_id)
            self.log_page_read(who, found.subject, DEFAULT_PURPOSE)
            return found, repair_conditions(self.ledger, found.record, catalogue)

    # ------------------------------------------------------------------- commitments

    def file_commitment(
        self,
        subject: tuple[str, str],
        concerns: str,
        source: str,
        signed_at: str | None = None,
    ) -> int:
        """File SUBJECT's credit commitment concerning decision number ``concerns``, held by
        ``source``, signed at ``signed_at`` (default now), as a record; its position.

        Raises:
            ValidationError: naming the field if a value is bad.
        """
        from socialcredit.rights import file_commitment

        catalogue = self._repair_catalogue()
        with self.lock:
            return file_commitment(self.ledger, catalogue, subject, concerns, source, signed_at)
