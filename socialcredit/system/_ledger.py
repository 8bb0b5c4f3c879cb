"""Use cases: the ledger itself — creating it, its state and signed checkpoints, inclusion and
consistency proofs, verification (against a pinned key, a kept or witnessed checkpoint), the
witness's cosignature, schema migration, snapshots of the projections, export and import.

Auditors, and callers naming no purpose that covers personal data, see hashes only: their
inclusion proofs carry the leaf hash but not the entry. A subject may fetch the full proof of
entries about themselves; anyone else naming such a purpose gets the entry, and the read of its
subject's file is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ..accounts import Principal, Role
from ..errors import PermissionDeniedError
from ..ledger import SignedCheckpoint, VerifyReport
from ._core import SystemCore

if TYPE_CHECKING:
    from ..ledger import ProofCheck
    from ..service import PinnedKey
    from ..settings import Settings
    from ..transfer import TransferReport
    from ..witness import CosignedCheckpoint

__all__ = ["LedgerState", "LedgerUseCases"]


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The ledger at a glance: its name, size, public key (base64) and latest checkpoint."""

    origin: str
    size: int
    public_key: str
    checkpoint: SignedCheckpoint

    def to_json(self) -> dict[str, Any]:
        """``origin``, ``size``, ``public_key`` and the signed ``checkpoint`` as JSON."""
        return {
            "origin": self.origin,
            "size": self.size,
            "public_key": self.public_key,
            "checkpoint": self.checkpoint.to_json(),
        }


class LedgerUseCases(SystemCore):
    """The ledger's state, checkpoints, proofs and verification; its creation, migration,
    snapshots and transfer."""

    # ------------------------------------------------------------- making and moving one

    @classmethod
    def create(cls, settings: Settings, origin: str | None = None) -> Self:
        """A new, empty ledger in the store ``settings`` names (and its signing key if there
        is none), opened; close it as :meth:`open`'s.

        Raises:
            ConfigurationError: if the store already holds a ledger, or the key cannot be made.
        """
        from ..service import init_ledger

        init_ledger(settings, origin).store.close()
        return cls.open(settings, write=True)

    @staticmethod
    def migrate_schema(settings: Settings) -> tuple[int, list[int]]:
        """Apply the store's pending schema migrations, in order: the version before and the
        versions applied (none: already current). Safe to run again.

        Raises:
            ConfigurationError: naming ``--store`` if there is no store there.
            StorageError: if a migration fails (it is rolled back).
        """
        from ..service import check_store_exists
        from ..storage import migrate_store

        check_store_exists(settings.store)
        return migrate_store(settings.store)

    @staticmethod
    def export_ledger(settings: Settings, target: str) -> TransferReport:
        """Copy the whole ledger to ``target`` (an empty store URL, or a new ``.parquet``
        directory); the report says whether the roots agree (``ok``).

        Raises:
            ConfigurationError: if there is no store to export, or ``target`` is not empty.
        """
        from ..service import check_store_exists
        from ..transfer import transfer

        check_store_exists(settings.store)
        return transfer(settings.store, target)

    @staticmethod
    def import_ledger(settings: Settings, source: str) -> TransferReport:
        """Load a whole ledger from ``source`` (a store URL or a Parquet export) into the empty
        store ``settings`` names, then verify it; the report says whether the roots agree.

        Raises:
            ConfigurationError: naming ``--from`` if there is nothing there, or if the store
                is not empty.
        """
        from ..service import check_store_exists
        from ..transfer import transfer

        check_store_exists(source, "--from")
        return transfer(source, settings.store)

    def index_subjects(self) -> tuple[int, int]:
        """Build the per-subject index if it is incomplete (once), then merge its bulk runs
        into it: how many entries were indexed and how many merged (0, 0: nothing to do).

        Raises:
            StorageError: if the store fails.
        """
        from socialcredit.ledger import build_subject_index, compact_subject_index

        with self.lock:
            return build_subject_index(self.ledger), compact_subject_index(self.ledger)

    def refresh_snapshots(self) -> list[dict[str, Any]]:
        """Write fresh snapshots of the projections (the consequence view, the filed records'
        columns, the ratings state), each from the latest trusted one plus the entries after
        it; what was done for each, in that order (``written`` False: it was current).

        Raises:
            ConfigurationError: if the system was opened without the signing key.
        """
        from socialcredit.consequences import refresh_snapshot
        from socialcredit.ratings import refresh_ratings_snapshot
        from socialcredit.scoring import refresh_columns_snapshot

        with self.lock:
            return [
                refresh(self.ledger)
                for refresh in (
                    refresh_snapshot,
                    refresh_columns_snapshot,
                    refresh_ratings_snapshot,
                )
            ]

    # ------------------------------------------------------------ state and checkpoints

    def ledger_state(self) -> LedgerState:
        """The ledger's name, size, public key and latest signed checkpoint.

        Raises:
            LedgerError: if no checkpoint was ever signed.
        """
        from socialcredit.ledger import public_key_text

        with self.lock:
            checkpoint = self.ledger.latest_checkpoint()
            size = self.ledger.size()
        return LedgerState(
            self.ledger.origin, size, public_key_text(self.ledger.public_key), checkpoint
        )

    def public_key_text(self) -> str:
        """The ledger's Ed25519 public key, base64 (how auditors pin it)."""
        from socialcredit.ledger import public_key_text

        return public_key_text(self.ledger.public_key)

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The latest signed checkpoint (a witness for later verification).

        Raises:
            LedgerError: if no checkpoint was ever signed.
        """
        with self.lock:
            return self.ledger.latest_checkpoint()

    def checkpoint_at(self, size: int) -> SignedCheckpoint:
        """The signed checkpoint of exactly ``size`` entries.

        Raises:
            NotFoundError: if none was signed at that size.
        """
        with self.lock:
            return self.ledger.checkpoint_at(size)

    def sign_checkpoint(self) -> SignedCheckpoint:
        """Sign a fresh checkpoint of the ledger as it is now (needs the signing key).

        Raises:
            ConfigurationError: if the system was opened without the signing key.
        """
        with self.lock:
            return self.ledger.checkpoint()

    # ------------------------------------------------------------------------- proofs

    def inclusion_proof(
        self,
        who: Principal,
        position: int,
        size: int | None = None,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        """The inclusion proof (InclusionProofV1) of the entry at ``position`` in the tree of
        ``size`` (default the latest checkpoint's). It carries the entry only to its subject,
        or to a caller naming a purpose that covers personal data (the read of the file of
        the person it is about is logged first); anyone else gets the leaf hash.

        Raises:
            NotFoundError: if there is no such entry or checkpoint.
            PermissionDeniedError: if a subject asks about an entry not about them.
            ValidationError: if the purpose is not on the whitelist.
        """
        from socialcredit.rights import entry_subject

        from ..ledger import inclusion_document

        with self.lock:
            about = entry_subject(self.ledger, self.ledger.entry(position))
            if who.role is Role.SUBJECT and about != who.subject:
                raise PermissionDeniedError("a subject may read only their own file")
            document = inclusion_document(self.ledger, position, size)
        if not _sees_content(who, purpose):
            document.pop("entry", None)
        elif about is not None:
            self.log_reads(who, [about], purpose, "entry")
        return document

    def audit_proof(self, position: int) -> tuple[dict[str, Any], ProofCheck]:
        """The inclusion proof of the entry at ``position`` in the latest checkpoint, checked
        here against the ledger's public key, without the entry (its leaf hash stands in: an
        auditor never sees personal data); with the result of the check.

        Raises:
            NotFoundError: if there is no such entry in the checkpointed tree.
        """
        from ..ledger import check_inclusion_proof, inclusion_document

        with self.lock:
            document = inclusion_document(self.ledger, position)
        check = check_inclusion_proof(document, self.ledger.public_key)
        document.pop("entry")
        return document, check

    @staticmethod
    def check_proof(document: Any, public_key: str) -> ProofCheck:
        """Check an inclusion or consistency proof offline, with nothing but the document and
        the ledger's public key (base64): no ledger is opened.

        Raises:
            ConfigurationError: if the public key is malformed.
        """
        from socialcredit.ledger import public_key_from_text

        from ..ledger import check_consistency_proof, check_inclusion_proof

        key = public_key_from_text(public_key)
        kind = document.get("version") if isinstance(document, dict) else None
        checker = check_consistency_proof if kind == "ConsistencyProofV1" else check_inclusion_proof
        return checker(document, key)

    def consistency_proof(self, old: int, new: int | None = None) -> dict[str, Any]:
        """The consistency proof (ConsistencyProofV1) between the checkpoints of ``old`` and
        ``new`` entries (default the latest).

        Raises:
            NotFoundError: if either size has no signed checkpoint.
        """
        from ..ledger import consistency_document

        with self.lock:
            return consistency_document(self.ledger, old, new)

    # ------------------------------------------------------------------- verification

    def pinned_key(self, explicit_key: str | None = None) -> PinnedKey:
        """The public key to verify against: ``explicit_key``, else the signing key file's,
        else the store's own copy (``from_store``: not independent).

        Raises:
            ConfigurationError: if ``explicit_key`` is malformed.
        """
        from ..service import pinned_public_key

        return pinned_public_key(self.settings, self.ledger, explicit_key)

    def verify_against(
        self,
        pinned: PinnedKey,
        *,
        checkpoint: SignedCheckpoint | None = None,
        check_index: bool = False,
    ) -> VerifyReport:
        """Recompute every hash and check every signed checkpoint against ``pinned`` and the
        clock; the ledger must still hold ``checkpoint`` (one kept from earlier, or a
        witness's). With ``check_index``, and if all else is well, also check the per-subject
        index against the entries themselves. Failures are in the report, not raised.

        Raises:
            StorageError: if the store fails.
        """
        from socialcredit.ledger import check_subject_index

        from ..ledger import utc_now_us, verify_ledger

        with self.lock:
            report = verify_ledger(
                self.ledger.store, pinned.key, witness=checkpoint, now_us=utc_now_us()
            )
            if check_index and report.ok:
                for problem in check_subject_index(self.ledger):
                    report.fail(problem, check="subject_index")
        return report

    def witnessed_checkpoint(
        self, directory: Path, witness_key: str | None = None
    ) -> tuple[SignedCheckpoint, str]:
        """The checkpoint of this ledger that the witness in ``directory`` cosigned last, its
        cosignature checked under ``witness_key`` (base64; default the key its store names);
        with where that key came from (``"given"``, or the store's path).

        Raises:
            ConfigurationError: if ``directory`` holds no witness store, or the key is bad.
            NotFoundError: if the witness never cosigned this ledger.
            IntegrityError: if the cosignature does not verify.
        """
        from socialcredit.ledger import public_key_from_text

        from ..witness import witness_checkpoint

        key = public_key_from_text(witness_key) if witness_key else None
        return witness_checkpoint(directory, self.ledger.origin, key)

    def cosign(self, directory: Path, log_key: str | None = None) -> tuple[CosignedCheckpoint, int]:
        """Have the witness in ``directory`` cosign the ledger's latest checkpoint if it
        extends the one it cosigned last, checking the log's signature under ``log_key``
        (base64, pinned; default the pinned key, trusted on first use): the cosigned
        checkpoint and how many of this ledger the witness has cosigned.

        Raises:
            IntegrityError: on a rollback, a fork, a changed log key, a bad signature or a
                checkpoint timed in the future (the witness records the refusal).
            ConfigurationError: if ``directory`` holds no witness.
        """
        from socialcredit.ledger import public_key_from_text

        from ..witness import Witness, fetch_update

        opened = Witness.open(directory)
        try:
            with self.lock:
                update = fetch_update(self.ledger, opened.since(self.ledger.origin))
            if log_key:
                cosigned = opened.cosign_pinned(update, public_key_from_text(log_key))
            else:
                cosigned = opened.cosign(update, self.pinned_key().key)
            return cosigned, opened.store.count(self.ledger.origin)
        finally:
            opened.close()


def _sees_content(who: Principal, purpose: str | None) -> bool:
    """Whether ``who``, naming ``purpose`` (or none), may see personal content rather than
    hashes: a subject (their own), or anyone but an auditor naming a purpose that covers
    personal data.

    Raises:
        ValidationError: if the purpose is not on the whitelist.
    """
    if who.role is Role.SUBJECT:
        return True
    if who.role is Role.AUDITOR or purpose is None:
        return False
    from socialcredit.rights import checked_purpose

    return bool(checked_purpose(purpose).personal_data)
