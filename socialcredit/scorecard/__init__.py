"""A learned finance scorecard, published as ordinary binned rules (docs/scorecard.md).

:func:`learn` fits a points scorecard on the outcomes of credit obligations (optimal binning,
weight of evidence, a constrained logistic regression, points to double the odds), validates
it out of time and by group, and returns the next revision of the bundle with its rules.
"""

from socialcredit.scorecard.learn import CreditData, Learned, from_city, learn

__all__ = ["CreditData", "Learned", "from_city", "learn"]
