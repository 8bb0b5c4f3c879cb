"""Public ratings of organisations and professionals, resistant to manipulation.

Only verified interactions can be rated (single-use tokens bound to rater, ratee and
interaction, issued by the ratee itself or by a third party against an interaction record
naming buyer and seller); the aggregate is a Dirichlet reputation with a prior and forgetting,
reported with a credible interval and its evidence; raters are calibrated and weighted by
EigenTrust from seeds that hold a third-party-verified token, thinly connected raters weighing
little; bursts, rings and sustained shifts by new or low-trust raters (CUSUM) are detected,
kept and excluded from the aggregate. See ``docs/ratings.md``.
"""

from ._assessment import AssessmentSummary, assess
from ._batch import BatchResult, RatingArrays, Status, aggregate_batch, rank_order
from ._interactions import INTERACTION_AUTHORITIES, issues_interactions, record_interaction
from ._model import DIMENSIONS, MAX_TEXT, PROFESSIONAL_ROLES, Ratee, RatingParams
from ._projection import RatingsState
from ._service import (
    DEFAULT_PARAMS,
    IssuedToken,
    PublicRating,
    RateeView,
    RatingAggregate,
    dispute,
    issue_token,
    rate,
    ratee_view,
    rating_aggregate,
    reply,
)
from ._shared import load_state, refresh_ratings_snapshot

__all__ = [
    "DEFAULT_PARAMS",
    "DIMENSIONS",
    "INTERACTION_AUTHORITIES",
    "MAX_TEXT",
    "PROFESSIONAL_ROLES",
    "AssessmentSummary",
    "BatchResult",
    "IssuedToken",
    "PublicRating",
    "Ratee",
    "RateeView",
    "RatingAggregate",
    "RatingArrays",
    "RatingParams",
    "RatingsState",
    "Status",
    "aggregate_batch",
    "assess",
    "dispute",
    "issue_token",
    "issues_interactions",
    "load_state",
    "rank_order",
    "rate",
    "ratee_view",
    "rating_aggregate",
    "record_interaction",
    "refresh_ratings_snapshot",
    "reply",
]
