"""The witness: an independent cosigner that refuses to cosign a rollback or a fork.

A witness has its own Ed25519 key and its own store (a directory holding ``witness.key``,
mode 0600, and ``witness.db``). It cosigns a log's checkpoint only if:

* the checkpoint is signed by the log's key — the key the operator pinned, or, at first
  contact, the key the log presented (trust on first use, recorded as such with the time and
  the size first seen);
* its time is not in the future (beyond a small clock skew);
* it extends the checkpoint the witness cosigned last for that log: a smaller size is a
  **rollback**; the same size with another root, or a larger size without a valid RFC 9162
  consistency proof from the last cosigned one, is a **fork**;
* its chain does not go backwards (a chained checkpoint's number and subject count never
  decrease, and the number grows with the size).

A refused checkpoint is kept in the store with the reason (it is evidence: the log signed it)
and :class:`~socialcredit.errors.IntegrityError` is raised. Every cosigned checkpoint is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from socialcredit.ledger import (
    SignedCheckpoint,
    Signer,
    create_key_file,
    key_id,
    public_key_from_text,
    public_key_text,
    verify_consistency,
)

from ..errors import ConfigurationError, IntegrityError, NotFoundError
from ..ledger import Ledger
from ..timeutil import format_time
from ._cosignature import Cosignature, CosignedCheckpoint, cosignature_message
from ._log import LogUpdate
from ._store import KnownLog, Refusal, WitnessStore

__all__ = [
    "CLOCK_SKEW_S",
    "Witness",
    "latest_cosigned",
    "published_cosignature",
    "witness_checkpoint",
]

KEY_FILE = "witness.key"
STORE_FILE = "witness.db"
CLOCK_SKEW_S = 600
"""How far ahead of the witness's clock a checkpoint's time may be."""


def _now_s() -> int:
    return int(time.time())


class _Refused(Exception):
    """Why a checkpoint is refused: a short reason code and a message."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class Witness:
    """A witness opened from its directory (see :meth:`create` and :meth:`open`).

    Args:
        directory: the witness's directory.
        signer: its signing key.
        store: its store.
        clock: Unix seconds now (injectable for tests).
    """

    def __init__(
        self,
        directory: Path,
        signer: Signer,
        store: WitnessStore,
        clock: Callable[[], int] = _now_s,
    ) -> None:
        self.directory, self._signer, self.store, self.clock = directory, signer, store, clock
        meta = store.meta()
        self.name = meta["name"]
        self.public_key = signer.public_key
        if public_key_text(signer.public_key) != meta["public_key"]:
            raise ConfigurationError(
                f"{directory / KEY_FILE} does not hold the key of the witness in {directory}"
            )

    @classmethod
    def create(
        cls, directory: Path, name: str | None = None, clock: Callable[[], int] = _now_s
    ) -> Witness:
        """Make a new witness in ``directory``: a new key and an empty store.

        Raises:
            ConfigurationError: if ``directory`` already holds a witness.
        """
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / KEY_FILE).exists() or (directory / STORE_FILE).exists():
            raise ConfigurationError(f"{directory} already holds a witness")
        signer = create_key_file(directory / KEY_FILE)
        store = WitnessStore(directory / STORE_FILE)
        store.create(
            {
                "name": name or f"witness.local/{key_id(signer.public_key)}",
                "public_key": public_key_text(signer.public_key),
                "created_at": format_time(clock() * 1_000_000),
            }
        )
        return cls(directory, signer, store, clock)

    @classmethod
    def open(cls, directory: Path, clock: Callable[[], int] = _now_s) -> Witness:
        """Open the witness in ``directory``.

        Raises:
            ConfigurationError: if there is no witness there, or its key does not match.
        """
        key_path, store_path = directory / KEY_FILE, directory / STORE_FILE
        if not key_path.exists() or not store_path.exists():
            raise ConfigurationError(
                f"no witness in {directory}; create one with `socialcredit witness init`"
            )
        return cls(directory, Signer.from_key_file(key_path), WitnessStore(store_path), clock)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def since(self, origin: str) -> int | None:
        """The size of the checkpoint of ``origin`` cosigned last (None: never met)."""
        latest = self.store.latest(origin)
        return None if latest is None else latest.size

    def cosign(
        self, update: LogUpdate, log_key: Ed25519PublicKey | None = None
    ) -> CosignedCheckpoint:
        """Check ``update`` against the last checkpoint cosigned for its log; cosign and keep it.

        Args:
            update: the log's latest checkpoint and the consistency proof from the size the
                witness cosigned last.
            log_key: the log's public key as the operator pinned it; required at first
                contact (trusted on first use unless ``pinned``), and if given later it must
                be the key recorded then.

        Raises:
            IntegrityError: a rollback, a fork, a bad signature, a changed key, a time in the
                future or a chain going backwards; ``details["reason"]`` names which. The
                refused checkpoint is kept in the store.
            ConfigurationError: at first contact without ``log_key``.
        """
        return self._cosign(update, log_key, pinned=False)

    def cosign_pinned(self, update: LogUpdate, log_key: Ed25519PublicKey) -> CosignedCheckpoint:
        """:meth:`cosign`, with ``log_key`` recorded as pinned by the operator at first contact."""
        return self._cosign(update, log_key, pinned=True)

    def _cosign(
        self, update: LogUpdate, log_key: Ed25519PublicKey | None, *, pinned: bool
    ) -> CosignedCheckpoint:
        checkpoint = update.checkpoint
        origin = checkpoint.checkpoint.origin
        now = self.clock()
        try:
            with self.store.transaction():
                known = self.store.log(origin)
                key = self._log_key(origin, known, log_key)
                self._check(update, key, now)
                if known is None:
                    trust = "pinned" if pinned else "first-use"
                    text = public_key_text(key)
                    self.store.add_log(KnownLog(origin, text, trust, now, checkpoint.size))
                cosigned = self._signed(checkpoint, now)
                self.store.add_cosigned(cosigned)
        except _Refused as refused:
            self.store.add_refusal(
                Refusal(origin, now, refused.reason, refused.message, checkpoint)
            )
            raise IntegrityError(
                f"witness refuses checkpoint {checkpoint.size} of {origin}: {refused.message}",
                {"reason": refused.reason, "origin": origin, "size": checkpoint.size},
            ) from None
        return cosigned

    def _log_key(
        self, origin: str, known: KnownLog | None, given: Ed25519PublicKey | None
    ) -> Ed25519PublicKey:
        if known is None:
            if given is None:
                raise ConfigurationError(f"first contact with {origin}: its public key is needed")
            return given
        trusted = public_key_from_text(known.public_key)
        if given is not None and public_key_text(given) != known.public_key:
            raise _Refused(
                "key",
                f"the log presents another key than the one trusted since "
                f"{format_time(known.first_seen_s * 1_000_000)} ({known.trust})",
            )
        return trusted

    def _check(self, update: LogUpdate, key: Ed25519PublicKey, now: int) -> None:
        checkpoint = update.checkpoint
        if not checkpoint.is_signed_by(key):
            raise _Refused("signature", "the log's signature does not verify")
        if checkpoint.checkpoint.time_us > (now + CLOCK_SKEW_S) * 1_000_000:
            when = format_time(checkpoint.checkpoint.time_us)
            raise _Refused("future", f"the checkpoint is timed {when}, in the future")
        last = self.store.latest(checkpoint.checkpoint.origin)
        if last is not None:
            _check_extends(update, last.checkpoint)

    def _signed(self, checkpoint: SignedCheckpoint, now: int) -> CosignedCheckpoint:
        signature = self._signer.sign_message(cosignature_message(checkpoint, now))
        cosignature = Cosignature(self.name, public_key_text(self.public_key), now, signature)
        return CosignedCheckpoint(checkpoint, cosignature)


def _check_extends(update: LogUpdate, last: SignedCheckpoint) -> None:
    """Refuse ``update`` unless it extends ``last``, the checkpoint cosigned last."""
    new = update.checkpoint
    if new.size < last.size:
        raise _Refused(
            "rollback", f"the log is at size {new.size}, below the {last.size} cosigned before"
        )
    if new.size == last.size and new.root != last.root:
        raise _Refused(
            "fork", f"the log signed another root for size {new.size} than the one cosigned"
        )
    if new.size > last.size:
        if update.proof is None or update.since != last.size:
            why = update.problem or f"the proof is from size {update.since}, not {last.size}"
            raise _Refused("fork", f"no consistency proof from size {last.size}: {why}")
        if not verify_consistency(last.size, new.size, last.root, new.root, update.proof):
            raise _Refused(
                "fork",
                f"the tree of size {new.size} does not extend the one of size {last.size} "
                "cosigned before",
            )
    old_chain, new_chain = last.chain, new.chain
    if old_chain is not None:
        if new_chain is None:
            raise _Refused("chain", "the log stopped chaining its checkpoints")
        grew = new.size > last.size
        if new_chain.number < old_chain.number + grew or new_chain.subjects < old_chain.subjects:
            raise _Refused("chain", "the checkpoint's chain goes backwards")


def witness_checkpoint(
    directory: Path, origin: str, witness_key: Ed25519PublicKey | None = None
) -> tuple[SignedCheckpoint, str]:
    """The log checkpoint of ``origin`` that the witness in ``directory`` cosigned last, for
    ``verify``; with where the witness key came from (``"given"``, or the directory's own).

    Raises: as :func:`latest_cosigned`.
    """
    cosigned, source = latest_cosigned(directory, origin, witness_key)
    return cosigned.checkpoint, source


def latest_cosigned(
    directory: Path, origin: str, witness_key: Ed25519PublicKey | None = None
) -> tuple[CosignedCheckpoint, str]:
    """The latest checkpoint of ``origin`` that the witness in ``directory`` cosigned, its
    cosignature checked; with where the witness key came from (``"given"``, or the store's).

    Reads only the store, never the witness's private key (an auditor, or the log's portal
    publishing it, may be given a copy of ``witness.db`` alone).

    Raises:
        ConfigurationError: if ``directory`` holds no witness store.
        NotFoundError: if the witness never cosigned a checkpoint of ``origin``.
        IntegrityError: if the cosignature does not verify under ``witness_key`` (or, when it
            is None, under the key the store names).
    """
    path = directory / STORE_FILE
    if not path.exists():
        raise ConfigurationError(f"no witness store at {path}")
    store = WitnessStore(path)
    try:
        latest = store.latest(origin)
        own = store.meta().get("public_key", "")
    finally:
        store.close()
    if latest is None:
        raise NotFoundError(f"the witness in {directory} never cosigned a checkpoint of {origin}")
    key = witness_key if witness_key is not None else public_key_from_text(own)
    if not latest.is_cosigned_by(key):
        raise IntegrityError(
            f"the witness's latest cosignature of {origin} (size {latest.size}) does not verify "
            "under the witness key"
        )
    return latest, "given" if witness_key is not None else str(path)


def published_cosignature(ledger: Ledger, directory: Path) -> dict[str, Any]:
    """What the log's portal publishes: the latest checkpoint of ``ledger`` that the witness in
    ``directory`` cosigned (``CosignedCheckpointV1``), and whether the ledger still holds it.

    ``holds_it`` is True when the ledger's own signed checkpoint of that size has the same
    root; False is a rollback or fork, and the portal shows it so. ``behind`` is how many
    entries the ledger has grown since.

    Raises: as :func:`latest_cosigned`.
    """
    cosigned, _ = latest_cosigned(directory, ledger.origin)
    try:
        holds_it = ledger.checkpoint_at(cosigned.size).root == cosigned.root
    except NotFoundError:
        holds_it = False
    return {
        **cosigned.to_json(),
        "holds_it": holds_it,
        "behind": max(0, ledger.size() - cosigned.size),
    }
