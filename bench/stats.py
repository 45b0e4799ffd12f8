"""Small statistics helpers: percentiles, medians and spread for the table."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0..100), interpolating linearly.

    The same definition as numpy's default, so figures can be checked by hand.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    """Return the median (nan for no values)."""
    return percentile(values, 50.0)


def spread(values: Sequence[float]) -> tuple[float, float]:
    """Return the interquartile range (p25, p75): robust to one odd run."""
    return percentile(values, 25.0), percentile(values, 75.0)


def ms(seconds: float, digits: int | None = None) -> str:
    """Format seconds as milliseconds with sensible precision."""
    if math.isnan(seconds):
        return "?"
    value = seconds * 1000.0
    if digits is None:
        digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f}"
