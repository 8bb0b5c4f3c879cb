"""Use cases: the policy (publishing, checking, diffing, governance and impact assessment, the
learned scorecard) and the public pages (organisations, public lists, the published policy).

The policy's offline steps (reviewing a bundle's authorisations, signing, making a role's key)
need no ledger: they are static methods, callable as ``System.review_bundle(bundle)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, Problem
from ._scores import ScoreUseCases

if TYPE_CHECKING:
    from socialcredit.policy import Authorisation, RecordedGovernance, SignatureSet
    from socialcredit.scorecard import Learned
    from socialcredit.simulation import ImpactAssessment

    from ..accounts import Principal
    from ..catalogue import RecordKind
    from ..consequences import PublicListing, SubjectConsequences
    from ..ledger import Ledger
    from ..policy import (
        Change,
        Governance,
        ListDefinition,
        PolicyBundle,
        PublishedBundle,
        RevisionStatus,
    )
    from ..ratings import RateeView
    from ..records import RecordIndex
    from ..scoring import Contribution, Explanation, ScoreResult

__all__ = [
    "BundleReview",
    "FrontPage",
    "OrganisationHit",
    "OrganisationPage",
    "PolicyAudit",
    "PolicyCheck",
    "PolicyOverview",
    "PolicyUseCases",
    "PublicList",
]

_ORGANISATION = "organisation"
#: The most organisations one search returns.
SEARCH_RESULTS = 50


@dataclass(frozen=True, slots=True)
class BundleReview:
    """A bundle's offline review: which legal-basis registry entry authorises each item, the
    label warnings, and the versions of the taxonomy and registry it was checked against."""

    bundle: PolicyBundle
    authorisations: list[Authorisation]
    warnings: list[Problem]
    taxonomy: int
    registry: int


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """A bundle that passed its load-time checks: the bundle, its detached signatures, its
    label warnings, the bundle in force now and what the new one changes from it (empty
    when none is in force)."""

    bundle: PolicyBundle
    signatures: SignatureSet
    warnings: list[Problem]
    in_force: PublishedBundle | None
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class PolicyOverview:
    """The published policy at a moment: every published bundle and every revision with its
    status (ledger order), the bundle in force (None: the built-in default is), the
    governance in force, what each revision changed from the one before (``(newer,
    changes)``, ledger order) and the built-in default bundle's revision."""

    published: list[PublishedBundle]
    revisions: list[RevisionStatus]
    in_force: PublishedBundle | None
    governance: RecordedGovernance | None
    history: list[tuple[PublishedBundle, list[Change]]]
    default_revision: int


@dataclass(frozen=True, slots=True)
class PolicyAudit:
    """The ledger's publications re-checked: every breach (empty when lawful), and how many
    publications and governance entries were checked."""

    problems: list[Problem]
    publications: int
    governance_changes: int


@dataclass(frozen=True, slots=True)
class FrontPage:
    """What the public front page shows: the ledger's size and the bundle in force."""

    size: int
    in_force: PublishedBundle | None


@dataclass(frozen=True, slots=True)
class OrganisationHit:
    """One search result: the organisation's number (its page) and its masked id."""

    number: int
    masked: str


@dataclass(frozen=True, slots=True)
class OrganisationPage:
    """An organisation's public page.

    Attributes:
        subject: the organisation (``("organisation", uscc)``), never shown whole.
        masked: its masked id.
        explanation: its score now, with every record's contribution.
        in_force: the bundle in force (None: the built-in default).
        records: its published records with their kinds (:func:`consequences.public_records`),
            without the penalties whose repair was granted; none without a bundle in force.
        rating: its public rating (raters masked).
        listings: its list entries a public list shows (in effect, frozen, noticed), each as
            JSON with its list's terms and ``legal_basis``.
    """

    subject: tuple[str, str]
    masked: str
    explanation: Explanation
    in_force: PublishedBundle | None
    records: list[tuple[Contribution, RecordKind]]
    rating: RateeView
    listings: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PublicList:
    """A public list now: its definition and its public rows (masked)."""

    definition: ListDefinition
    rows: list[PublicListing]


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


class PolicyUseCases(ScoreUseCases):
    """The policy and the public pages. Nothing here reads a person's file: the public pages
    show organisations only, and public lists masked."""

    # ------------------------------------------------------------ the published policy

    def policy_revisions(self, at: datetime | None = None) -> list[RevisionStatus]:
        """Every published revision with its status at ``at`` (default: ledger time now), a
        pending one with its changes from the bundle in force and its assessment."""
        from ..policy import policy_revisions

        with self.lock:
            return policy_revisions(self.ledger, at)

    def published_policy(self, revision: int) -> PublishedBundle:
        """Published revision ``revision``.

        Raises:
            NotFoundError: if it was never published.
        """
        from ..policy import published_bundle

        with self.lock:
            return published_bundle(self.ledger, revision)

    def policy_in_force(self, at: datetime | None = None) -> PublishedBundle:
        """The bundle in force at ``at`` (default now), as known now.

        Raises:
            NotFoundError: if none is published in force then.
        """
        from ..policy import bundle_in_force

        now = datetime.now(UTC)
        when = at or now
        with self.lock:
            found = bundle_in_force(self.ledger, when, now)
        if found is None:
            raise NotFoundError(f"no policy bundle in force at {when.isoformat()}")
        return found

    def policy_diff(self, old: int, new: int) -> list[Change]:
        """What changed from published revision ``old`` to ``new``, rule by rule.

        Raises:
            NotFoundError: if either was never published.
        """
        from ..policy import diff, published_bundle

        with self.lock:
            before = published_bundle(self.ledger, old).bundle
            after = published_bundle(self.ledger, new).bundle
        return diff(before, after)

    def policy_overview(self, at: datetime | None = None) -> PolicyOverview:
        """The published policy at ``at`` (default now; the revisions' status at ledger time
        now): revisions, the bundle in force, the governance in force and what each
        revision changed."""
        from ..policy import (
            bundle_in_force,
            default_bundle,
            diff,
            governance_in_force,
            policy_revisions,
            published_bundles,
        )

        when = _now(at)
        with self.lock:
            bundles = published_bundles(self.ledger)
            in_force = bundle_in_force(self.ledger, when, when)
            revisions = policy_revisions(self.ledger, at)
            governance = governance_in_force(self.ledger)
        history = [(new, diff(old.bundle, new.bundle)) for old, new in pairwise(bundles)]
        default = default_bundle().revision
        return PolicyOverview(bundles, revisions, in_force, governance, history, default)

    @staticmethod
    def assessment_of(revision: RevisionStatus) -> ImpactAssessment | None:
        """A pending revision's recorded impact assessment, read back (None: none recorded).

        Raises:
            ValueError: if the recorded assessment cannot be read.
        """
        if revision.assessment is None:
            return None
        from socialcredit.simulation import ImpactAssessment  # slow import, only when needed

        return ImpactAssessment.from_json(revision.assessment.assessment)

    # ------------------------------------------------------------ checking and publishing

    @staticmethod
    def review_bundle(bundle: PolicyBundle) -> BundleReview:
        """Which legal-basis registry entry authorises each kind, list, measure, link and
        sector grade scheme of ``bundle``, and its label warnings (needs no ledger)."""
        from socialcredit.policy import authorisations, label_warnings

        from ..catalogue import conduct_taxonomy, registry

        return BundleReview(
            bundle,
            authorisations(bundle),
            label_warnings(bundle),
            conduct_taxonomy().version,
            registry().version,
        )

    @staticmethod
    def load_policy(files: Mapping[str, bytes]) -> tuple[PolicyBundle, SignatureSet]:
        """The bundle given as its files (name to bytes), loaded and checked, and the
        detached signatures its ``signatures.yaml`` holds (none if absent).

        Raises:
            PolicyError: listing every problem of the bundle.
        """
        from ..policy import load_bundle_from_files, split_signatures

        contents, signatures = split_signatures(files)
        return load_bundle_from_files(contents), signatures

    def check_policy(self, files: Mapping[str, bytes]) -> PolicyCheck:
        """Run the load-time checks on a bundle given as its files (:meth:`load_policy`) and
        diff it against the bundle in force now.

        Raises:
            PolicyError: listing every problem of the bundle.
        """
        from socialcredit.policy import label_warnings

        from ..policy import diff

        bundle, signatures = self.load_policy(files)
        in_force = self.in_force()
        changes = [] if in_force is None else diff(in_force.bundle, bundle)
        return PolicyCheck(bundle, signatures, label_warnings(bundle), in_force, changes)

    def publish_policy(self, bundle: PolicyBundle, signatures: SignatureSet) -> RevisionStatus:
        """Publish ``bundle`` into the ledger with its detached ``signatures``; its status now
        (in force, or pending until its date). After genesis it needs k signatures of the
        governance in force, an effective date past the notice period and a recorded impact
        assessment; nothing is written unless all hold.

        Raises:
            PolicyError: listing every reason the publication is refused.
        """
        from ..policy import publish, revision_status

        with self.lock:
            position = publish(self.ledger, bundle, signatures=signatures)
            return revision_status(self.ledger, position)

    def audit_policy(self) -> PolicyAudit:
        """Re-check from the ledger alone that every governance change and publication obeyed
        the rules in force when it was recorded.

        Raises:
            PolicyError: if a published bundle or governance entry no longer replays.
        """
        from ..policy import audit_publications, governance_history, published_bundles

        with self.lock:
            problems = audit_publications(self.ledger)
            published = len(published_bundles(self.ledger))
            changes = len(governance_history(self.ledger))
        return PolicyAudit(problems, published, changes)

    def assess_policy(
        self,
        bundle: PolicyBundle,
        *,
        residents: int = 100_000,
        organisations: int = 5_000,
        seed: int = 2026,
        observation_error: float | None = None,
    ) -> tuple[ImpactAssessment, int]:
        """Assess ``bundle`` against the bundle in force now on the synthetic city (seeded),
        and record the assessment in the ledger with the bundle's digest (idempotently);
        with the entry's position.

        Raises:
            ValidationError: naming the parameter if one is out of range.
        """
        from socialcredit.policy import record_assessment
        from socialcredit.simulation import DEFAULT_OBSERVATION_ERROR, assess_bundle  # slow import

        published = self.in_force()
        in_force = None if published is None else published.bundle
        error = DEFAULT_OBSERVATION_ERROR if observation_error is None else observation_error
        assessment = assess_bundle(
            bundle,
            in_force,
            residents=residents,
            organisations=organisations,
            seed=seed,
            observation_error=error,
        )
        digest = None if in_force is None else in_force.digest
        with self.lock:
            position = record_assessment(
                self.ledger, bundle.digest, bundle.revision, assessment.to_json(), digest
            )
        return assessment, position

    # ------------------------------------------------------------------- the governance

    def governance(self) -> RecordedGovernance | None:
        """The governance in force (who must sign, the notice period); None before any."""
        from ..policy import governance_in_force

        with self.lock:
            return governance_in_force(self.ledger)

    def record_governance(self, rule: Governance, signed: SignatureSet) -> int:
        """Record governance ``rule``; the entry's position. A change needs k signatures of
        the governance in force over its digest; only a ledger's first needs none.

        Raises:
            PolicyError: listing every reason it is refused.
        """
        from ..policy import record_governance

        with self.lock:
            return record_governance(self.ledger, rule, signed)

    @staticmethod
    def sign_policy(directory: Path, key_file: Path, role: str) -> tuple[str, int, str]:
        """Sign the digest of the bundle in ``directory`` as ``role`` with the key in
        ``key_file``, kept in ``directory/signatures.yaml``: the digest, how many signatures
        the file now holds, and the signer's public key (needs no ledger).

        Raises:
            PolicyError: if the bundle does not load.
            ConfigurationError: if the key file cannot be read.
        """
        from socialcredit.ledger import public_key_text
        from socialcredit.policy import sign_bundle_directory

        from ..ledger import Signer

        signer = Signer.from_key_file(key_file)
        digest, count = sign_bundle_directory(directory, signer, role)
        return digest, count, public_key_text(signer.public_key)

    @staticmethod
    def sign_governance(file: Path, key_file: Path, role: str) -> tuple[str, int]:
        """Sign the governance document in ``file`` as ``role`` with the key in ``key_file``
        (kept in the file's signatures): its digest and how many signatures it holds.

        Raises:
            PolicyError: if the document does not load.
            ConfigurationError: if the key file cannot be read.
        """
        from socialcredit.policy import sign_governance_file

        from ..ledger import Signer

        return sign_governance_file(file, Signer.from_key_file(key_file), role)

    @staticmethod
    def make_role_key(path: Path) -> str:
        """Make a new Ed25519 key in ``path`` (mode 0600, never overwriting) for a role
        holder; its public key as written in a governance file.

        Raises:
            ConfigurationError: if ``path`` exists or cannot be written.
        """
        from socialcredit.ledger import public_key_text

        from ..ledger import create_key_file

        return public_key_text(create_key_file(path).public_key)

    # --------------------------------------------------------------------- the scorecard

    def fit_scorecard(
        self, as_of: datetime, out: Path, *, split: datetime | None = None, pdo: float = 20.0
    ) -> Learned:
        """Learn the finance scorecard from the outcomes known at ``as_of`` (out of time from
        ``split``, default 18 months of known outcomes) on top of the bundle in force then
        (else the default), and write ``out/bundle``, ``out/report.json`` and
        ``out/reason_codes.csv``: all of it or nothing.

        Raises:
            ValidationError: naming ``(data)`` if the ledger holds too little to learn from.
            OSError: if ``out`` is not an empty directory or a write fails.
        """
        from socialcredit.scorecard import (
            credit_data,  # heavy imports: only for this use case
            default_split,
            learn,
            write_fit,
        )

        from ..errors import Problem, ValidationError
        from ..policy import default_bundle

        cut = default_split(as_of) if split is None else split
        published = self.in_force(as_of)
        base = default_bundle() if published is None else published.bundle
        try:
            with self.lock:
                data = credit_data(self.ledger, as_of)
            learned = learn(data, base, as_of=as_of, split=cut, pdo=pdo)
        except ValueError as exc:
            raise ValidationError("scorecard fit refused", [Problem("(data)", str(exc))]) from exc
        write_fit(out, learned, data.ids or [])
        return learned

    # ------------------------------------------------------------------ the public pages

    def front_page(self) -> FrontPage:
        """The ledger's size and the bundle in force now."""
        with self.lock:
            return FrontPage(self.ledger.size(), self.in_force())

    def organisation_score(self, uscc: str, at: datetime | None = None) -> ScoreResult:
        """An organisation's score and grade at ``at`` (default now), with its records (a
        USCC is public: nothing is logged; people are never shown this way).

        Raises:
            ValueError: if ``uscc`` is not a valid USCC.
        """
        from ..catalogue import validate_uscc
        from ..scoring import score

        key = (_ORGANISATION, validate_uscc(uscc))
        when = _now(at)
        with self.fresh_index(key) as index:
            return score(index, *key, as_of=when)

    def organisation_number(self, uscc: str) -> int | None:
        """The internal number (public page) of the organisation ``uscc``; None if it is not
        a valid USCC or the ledger never saw it."""
        from ..catalogue import validate_uscc

        try:
            validate_uscc(uscc)
        except ValueError:
            return None
        with self.lock:
            return self.ledger.subject_id(_ORGANISATION, uscc)

    def search_organisations(
        self, query: str, limit: int = SEARCH_RESULTS
    ) -> tuple[list[OrganisationHit], int]:
        """The first ``limit`` organisations with records whose masked id shows ``query``
        (its visible characters), and how many match in all."""
        with self.fresh_index() as index:
            return _matches(self.ledger, index, query, limit)

    def organisation_page(
        self, who: Principal, number: int, at: datetime | None = None
    ) -> OrganisationPage:
        """The public page of the organisation with internal ``number`` at ``at`` (default
        now), for anyone (``who``): score, published records, rating and public list
        entries. Nothing is logged: an organisation's file is not personal data.

        Raises:
            NotFoundError: if there is no such organisation (a person's number is not found
                either).
        """
        from socialcredit.rights import repaired_positions

        from ..catalogue import mask_subject_id
        from ..ratings import ratee_view
        from ..scoring import explain

        when = _now(at)
        with self.lock:
            subject = self.organisation_at(number)
            with self.fresh_index(subject) as index:
                found = explain(index, *subject, as_of=when)
            in_force = self.in_force(when)
            repaired = repaired_positions(self.ledger, subject=subject)
            records = _public_records(found.result.contributions, in_force, repaired)
            rating = ratee_view(self.ledger, subject[1], when)
            held = self.consequences(who, subject, at=when, logged=False)
        listings = _public_listings(held, in_force)
        masked = mask_subject_id(*subject)
        return OrganisationPage(subject, masked, found, in_force, records, rating, listings)

    def public_list(self, list_id: str, at: datetime | None = None) -> PublicList:
        """Everyone on public list ``list_id`` at ``at`` (default now), masked, with the
        list's definition in the policy in force.

        Raises:
            NotFoundError: if the policy in force has no such list.
        """
        from ..consequences import memberships_of_list

        when = _now(at)
        with self.lock:
            in_force = self.in_force(when)
            definition = None if in_force is None else in_force.bundle.list_definition(list_id)
            if definition is None:
                raise NotFoundError(f"no list {list_id!r} in the policy in force")
            rows = memberships_of_list(self.ledger, list_id, when, view=self.decisions)
        return PublicList(definition, rows)


def _matches(
    ledger: Ledger, index: RecordIndex, query: str, limit: int
) -> tuple[list[OrganisationHit], int]:
    """The first ``limit`` organisations in ``index`` whose masked id shows ``query``, and
    how many match in all."""
    from ..catalogue import mask_subject_id

    found: list[tuple[str, str]] = []
    total = 0
    for kind, subject_id in index.subjects():
        if kind != _ORGANISATION:
            continue
        if query in mask_subject_id(kind, subject_id).replace("*", " "):
            total += 1
            if len(found) < limit:
                found.append((kind, subject_id))
    numbers = ledger.store.find_subjects(found)
    hits = [OrganisationHit(numbers[s], mask_subject_id(*s)) for s in found if s in numbers]
    return hits, total


def _public_records(
    contributions: tuple[Contribution, ...],
    in_force: PublishedBundle | None,
    repaired: frozenset[int],
) -> list[tuple[Contribution, RecordKind]]:
    """The organisation's published records, without the penalties whose repair was granted
    (even where the bundle keeps their effect); none without a bundle in force."""
    from ..consequences import public_records

    if in_force is None:
        return []
    return public_records(contributions, in_force.bundle.catalogue, repaired=repaired)


def _public_listings(
    held: SubjectConsequences, in_force: PublishedBundle | None
) -> list[dict[str, Any]]:
    """The list entries a public list shows (in effect, frozen, noticed), each as JSON with
    its list's legal basis."""
    from ..consequences import PUBLIC_STATUSES

    shown = {status.value for status in PUBLIC_STATUSES}
    out = []
    for member in held.to_json()["memberships"]:
        if member["status"] not in shown:
            continue
        definition = None if in_force is None else in_force.bundle.list_definition(member["list"])
        legal_basis = "" if definition is None else definition.legal_basis
        out.append({**member, "legal_basis": legal_basis})
    return out
