"""Use cases: agencies and their joint memoranda.

The offline steps (signing a memorandum file, reading one) need no ledger: they are static
methods, callable as ``System.sign_memorandum_file(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ValidationError
from ._core import SystemCore

if TYPE_CHECKING:
    from socialcredit.policy import SignatureSet

    from ..agencies import Agency, Memorandum, RecordedMemorandum
    from ..policy import PolicyBundle

__all__ = ["MemorandumUseCases", "ShownMemorandum"]


@dataclass(frozen=True, slots=True)
class ShownMemorandum:
    """A recorded memorandum as shown at a moment: with the policy in force then, which says
    whether it carries each of the memorandum's links."""

    recorded: RecordedMemorandum
    bundle: PolicyBundle
    at_us: int

    def to_json(self) -> dict[str, Any]:
        """The memorandum, its parties, links (each ``applied`` or not) and signatures."""
        return self.recorded.to_json(self.bundle, self.at_us)


class MemorandumUseCases(SystemCore):
    """Agencies, their joint memoranda, and the lists at points of service."""

    def _bundle_at(self, when: datetime) -> PolicyBundle:
        """The policy bundle in force ``when``, else the default one."""
        from ..policy import default_bundle

        published = self.in_force(when)
        return default_bundle() if published is None else published.bundle

    # ------------------------------------------------------------------------ agencies

    def register_agency(
        self, name: str, title: str, public_key: str | None = None, *, key_file: Path | None = None
    ) -> Agency:
        """Register agency ``name`` (``<authority kind>:<name>``) with its own Ed25519 key:
        ``public_key`` (base64), or the key in ``key_file`` (PEM), made (mode 0600) if it
        does not exist, only once the agency is known to be acceptable.

        Raises:
            ValidationError: naming the field: a bad name, title or key, an agency already
                registered, or neither (or both of) ``public_key`` and ``key_file``; nothing is
                written then.
        """
        from socialcredit.ledger import public_key_text

        from ..agencies import check_agency, register_agency
        from ..ledger import Signer, create_key_file

        if (public_key is None) == (key_file is None):
            raise ValidationError("no key", [Problem("public_key", "give a key or a key file")])
        with self.lock:
            if key_file is not None:
                if key_file.exists():
                    signer = Signer.from_key_file(key_file)
                else:
                    check_agency(self.ledger, name, title)  # no key file for a refused agency
                    signer = create_key_file(key_file)
                public_key = public_key_text(signer.public_key)
            assert public_key is not None
            return register_agency(self.ledger, name, title, public_key)

    def rotate_agency_key(self, name: str, public_key: str, signature: str) -> Agency:
        """Replace agency ``name``'s key by ``public_key``, the rotation signed (``signature``,
        base64) by its key in force; signatures made before stay valid for the entries they
        were recorded in.

        Raises:
            ValidationError: naming ``agency`` if no agency ``name`` is registered, and
                ``public_key`` or ``signature`` if the key is bad or the signature does not
                verify under the key in force.
        """
        from ..agencies import rotate_agency_key

        with self.lock:
            return rotate_agency_key(self.ledger, name, public_key, signature)

    def rotate_agency_key_file(self, name: str, key_file: Path, new_key_file: Path) -> Agency:
        """As :meth:`rotate_agency_key`, signed with the key in force in ``key_file``, to the
        key in ``new_key_file`` (made, mode 0600, if it does not exist; removed again if the
        rotation is refused, so a refusal leaves no key behind).

        Raises:
            ConfigurationError: if a key file cannot be read or made.
            ValidationError: as for :meth:`rotate_agency_key`.
        """
        from ..agencies import sign_rotation
        from ..ledger import Signer, create_key_file, public_key_text

        old = Signer.from_key_file(key_file)
        made = not new_key_file.exists()
        new = create_key_file(new_key_file) if made else Signer.from_key_file(new_key_file)
        new_key = public_key_text(new.public_key)
        try:
            return self.rotate_agency_key(name, new_key, sign_rotation(old, name, new_key))
        except Exception:
            if made:
                new_key_file.unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------------ memoranda

    @staticmethod
    def parse_memorandum(
        document: object, signatures: list[dict[str, Any]]
    ) -> tuple[Memorandum, SignatureSet]:
        """A memorandum document (docs/memoranda.md) and its signatures, as sent over HTTP.

        Raises:
            ValidationError: listing every problem of the document (each field prefixed
                ``document.``).
        """
        from socialcredit.agencies import parse_memorandum
        from socialcredit.policy import signature_set

        memo, problems = parse_memorandum(document)
        if memo is None:
            problems = [Problem(f"document.{p.field}", p.reason) for p in problems]
            raise ValidationError(f"memorandum refused ({len(problems)} problems)", problems)
        return memo, signature_set(signatures, "signatures", present=True)

    @staticmethod
    def load_memorandum_file(path: Path) -> tuple[Memorandum, SignatureSet]:
        """The memorandum in the YAML file ``path`` and the signatures it holds.

        Raises:
            ValidationError: listing every problem of the document's form (``FILE:field``),
                or if the file cannot be read.
        """
        from ..agencies import load_memorandum_file

        return load_memorandum_file(path)

    @staticmethod
    def sign_memorandum_file(path: Path, key_file: Path, agency: str) -> tuple[str, int]:
        """Sign the memorandum in ``path`` as ``agency`` with the key in ``key_file``, keeping
        the signature in the file; the digest signed and how many signatures the file holds.

        Raises:
            ValidationError: if the file is not a memorandum or ``agency`` is not a party.
            ConfigurationError: if the key file cannot be read.
        """
        from ..agencies import sign_memorandum_file
        from ..ledger import Signer

        return sign_memorandum_file(path, Signer.from_key_file(key_file), agency)

    def check_memorandum(self, memo: Memorandum, signed: SignatureSet) -> None:
        """Check ``memo`` and its signatures as :meth:`record_memorandum` would; write nothing.

        Raises:
            ValidationError: listing every problem.
        """
        from ..agencies import check_memorandum

        with self.lock:
            _, problems = check_memorandum(self.ledger, memo, signed)
        if problems:
            raise ValidationError(f"memorandum refused ({len(problems)} problems)", problems)

    def record_memorandum(self, memo: Memorandum, signed: SignatureSet) -> RecordedMemorandum:
        """Record ``memo`` once every agency it names has signed it.

        Raises:
            ValidationError: listing every problem (parties, links, competence, legal bases,
                signatures, a memorandum already recorded); nothing is written then.
        """
        from ..agencies import record_memorandum

        with self.lock:
            return record_memorandum(self.ledger, memo, signed)

    def end_memorandum(
        self, memo_id: str, reason: str, agency: str, public_key: str, signature: str
    ) -> RecordedMemorandum:
        """End memorandum ``memo_id`` now, signed by a joining ``agency`` (its key in force
        and its base64 signature over the ending) for ``reason``; decisions from now on no
        longer cite it.

        Raises:
            NotFoundError: if no memorandum ``memo_id`` is recorded.
            ValidationError: naming each problem (ended already, a bad reason, not a party,
                not the key in force, a signature that does not verify); nothing is written.
        """
        from socialcredit.policy import Signature

        from ..agencies import end_memorandum

        with self.lock:
            signed = Signature(agency, public_key, signature)
            return end_memorandum(self.ledger, memo_id, reason, signed)

    def end_memorandum_with_key(
        self, memo_id: str, reason: str, agency: str, key_file: Path
    ) -> RecordedMemorandum:
        """As :meth:`end_memorandum`, signed here with ``agency``'s key in ``key_file``.

        Raises:
            ConfigurationError: if the key file cannot be read.
            NotFoundError, ValidationError: as for :meth:`end_memorandum`.
        """
        from ..agencies import end_memorandum, memorandum, sign_ending
        from ..ledger import Signer

        signer = Signer.from_key_file(key_file)
        with self.lock:
            signed = sign_ending(signer, agency, memorandum(self.ledger, memo_id), reason)
            return end_memorandum(self.ledger, memo_id, reason, signed)

    def memoranda(
        self, at: datetime | None = None, *, every: bool = False
    ) -> list[ShownMemorandum]:
        """The memoranda in force ``at`` (default now), or ``every`` one recorded, each with
        the policy in force then."""
        from ..agencies import memoranda
        from ..timeutil import to_us

        when = at or datetime.now(UTC)
        at_us = to_us(when)
        with self.lock:
            found = memoranda(self.ledger)
            bundle = self._bundle_at(when)
        return [ShownMemorandum(r, bundle, at_us) for r in found if every or r.in_force(at_us)]

    def memorandum(self, memo_id: str) -> ShownMemorandum:
        """Memorandum ``memo_id`` now, with the policy in force now.

        Raises:
            NotFoundError: if no memorandum ``memo_id`` is recorded.
        """
        from ..agencies import memorandum
        from ..timeutil import to_us

        when = datetime.now(UTC)
        with self.lock:
            found = memorandum(self.ledger, memo_id)
            bundle = self._bundle_at(when)
        return ShownMemorandum(found, bundle, to_us(when))

    def verify_memorandum(self, recorded: RecordedMemorandum) -> list[Problem]:
        """Every problem of ``recorded``'s signatures (and its ending's), each checked against
        the key its agency held when the entry was recorded; empty when all verify."""
        from ..agencies import verify_memorandum

        with self.lock:
            return verify_memorandum(self.ledger, recorded)

    # --------------------------------------------------------------- points of service
