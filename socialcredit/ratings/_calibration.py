"""Rater calibration: habitually harsh or lenient raters are discounted.

A rater's bias is the weighted mean of how far their stars sit from the ratees' means, shrunk
toward zero by ``shrink`` pseudo-ratings (a rater with one rating is barely adjusted, one with
fifty consistently harsh ratings is adjusted by nearly their whole habit). A rating's
calibrated stars are its stars minus the rater's bias, clipped to [1, 5] (the Uber practice of
judging a rating against the rater's own history, here over every counted rating).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["calibrate", "rater_bias"]


def rater_bias(
    rater: NDArray[np.integer],
    ratee: NDArray[np.integer],
    mean_star: NDArray[np.floating],
    weight: NDArray[np.floating],
    n_raters: int,
    n_ratees: int,
    shrink: float,
) -> NDArray[np.float64]:
    """Each rater's bias in stars (positive: lenient), shape ``(n_raters,)``.

    Args:
        rater, ratee: dense indices of each rating.
        mean_star: each rating's mean stars over the dimensions.
        weight: the ratings' weights (0 for excluded ratings).
        n_raters, n_ratees: sizes of the index spaces.
        shrink: pseudo-ratings of zero bias added to every rater.
    """
    w = np.asarray(weight, dtype=np.float64)
    weight_sum = np.bincount(ratee, w, minlength=n_ratees)
    ratee_mean = np.bincount(ratee, w * mean_star, minlength=n_ratees) / np.maximum(
        weight_sum, 1e-12
    )
    residual = mean_star - ratee_mean[ratee]
    numerator = np.bincount(rater, w * residual, minlength=n_raters)
    return numerator / (np.bincount(rater, w, minlength=n_raters) + shrink)


def calibrate(
    columns: NDArray[np.float64], bias: NDArray[np.floating], *, in_place: bool = False
) -> NDArray[np.float64]:
    """``stars - bias`` (bias per rating), clipped to [1, 5].

    Args:
        columns: stars by dimension, shape ``(d, n)`` (one contiguous row per dimension).
        bias: each rating's rater bias, shape ``(n,)``.
        in_place: overwrite ``columns`` (float64) instead of allocating a new array.
    """
    shift = np.asarray(bias, dtype=np.float64)[None, :]
    out = np.subtract(columns, shift, out=columns if in_place else None, dtype=np.float64)
    np.maximum(out, 1.0, out=out)
    return np.minimum(out, 5.0, out=out)
