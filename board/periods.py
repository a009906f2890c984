"""A period of time, and summary statistics of durations in it: what every metric
(``metrics.py``, ``metrics_escalation.py``) and guardrail counts over."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class Period(msgspec.Struct, frozen=True):
    """``[start, end)`` as Unix times."""

    start: float
    end: float

    def __contains__(self, at: float) -> bool:
        return self.start <= at < self.end


class Stats(msgspec.Struct, frozen=True):
    """Summary of durations in seconds: median, 90th percentile (nearest rank), max."""

    count: int
    median: float | None = None
    p90: float | None = None
    max: float | None = None


def stats(values: Iterable[float]) -> Stats:
    """Count, median, 90th percentile (nearest rank: the ceil(0.9 n)-th smallest), max."""
    xs = sorted(values)
    n = len(xs)
    if not n:
        return Stats(count=0)
    mid = n // 2
    median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
    return Stats(count=n, median=median, p90=xs[-(-9 * n // 10) - 1], max=xs[-1])
