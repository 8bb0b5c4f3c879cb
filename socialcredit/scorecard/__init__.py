"""A learned finance scorecard, published as ordinary binned rules (docs/scorecard.md).

:func:`learn` fits a points scorecard on the outcomes of credit obligations (optimal binning,
weight of evidence, a constrained logistic regression, points to double the odds), validates
it out of time and by group, and returns the next revision of the bundle with its rules.
"""

from socialcredit.scorecard._fairness import (
    SCORED_AT,
    GroupCount,
    applications,
    approved,
    group_counts,
)
from socialcredit.scorecard._learn import CreditData, Learned, default_split, from_city, learn
from socialcredit.scorecard._ledger import credit_data
from socialcredit.scorecard._publish import write_fit

__all__ = [
    "SCORED_AT",
    "CreditData",
    "GroupCount",
    "Learned",
    "applications",
    "approved",
    "credit_data",
    "default_split",
    "from_city",
    "group_counts",
    "learn",
    "write_fit",
]
