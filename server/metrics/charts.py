"""The metrics page's charts as geometry (the markup is ``templates/_charts.html``),
and how numbers read on it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Final

import msgspec

from board.guardrails import Flag, GuardrailReport
from server.metrics.report import MetricsReport

TITLE_CHARS: Final = 46  # a card title in a chart is cut here (the table has it whole)
# The age buckets' labels under the chart's columns (the table has the long ones).
AGE_LABELS: Final = ("< 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2–4 weeks", "4+ weeks")
# Escalation outcomes: the field of ``board.metrics.EscalationOutcomes`` and its label.
OUTCOMES: Final = (
    ("open", "Still open"),
    ("accepted", "Accepted"),
    ("in_progress", "In progress"),
    ("removed", "Removed"),
    ("returned", "Returned"),
    ("failed", "Failed"),
)


class Bar(msgspec.Struct, frozen=True):
    x: float
    y: float
    w: float
    h: float
    series: str
    label: str  # what the bar is, for its tooltip
    text: str  # its value, as shown
    shown: bool = True  # whether its value is written on the chart


class Tick(msgspec.Struct, frozen=True):
    y: float
    label: str


class XLabel(msgspec.Struct, frozen=True):
    x: float
    label: str


class Chart(msgspec.Struct, frozen=True):
    width: int
    height: int
    left: float
    right: float
    top: float
    base: float  # the y of the zero line
    bars: list[Bar]
    ticks: list[Tick]
    xlabels: list[XLabel]
    legend: list[tuple[str, str]]  # (series, label)


def number(value: float) -> str:
    """A count or a measure as shown: ``21``, ``2.25``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def nice_scale(top: float, steps: int = 4) -> tuple[float, float]:
    """A round maximum and tick step for counts up to ``top`` (steps of 1, 2 or 5 × 10^k)."""
    if top <= 0:
        return 1.0, 1.0
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw)
    step = max(step, 1.0)
    return math.ceil(top / step) * step, step


def column_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    width: int = 960,
    height: int = 420,
) -> Chart:
    """Grouped columns: one group per category, one bar per series (id, label, values)."""
    left, right, top, base = 70.0, width - 16.0, 64.0, height - 64.0
    n = max(1, len(categories))
    high, step = nice_scale(max((v for _, _, vs in series for v in vs), default=0))
    group = (right - left) / n
    bar_w = group * 0.8 / max(1, len(series))
    bars: list[Bar] = []
    for i, category in enumerate(categories):
        for j, (sid, label, values) in enumerate(series):
            h = (base - top) * values[i] / high
            x = left + i * group + group * 0.1 + j * bar_w
            bars.append(
                Bar(
                    x,
                    base - h,
                    bar_w,
                    h,
                    sid,
                    f"{label}, {category}",
                    number(values[i]),
                    shown=bar_w >= 26 and (values[i] > 0 or n <= 8),  # no row of noughts
                )
            )
    ticks = [
        Tick(base - (base - top) * k * step / high, f"{k * step:g}")
        for k in range(int(high / step) + 1)
    ]
    every = max(1, math.ceil(n * 90 / (right - left)))  # keep ~90 units per label
    xlabels = [
        XLabel(left + i * group + group / 2, c) for i, c in enumerate(categories) if i % every == 0
    ]
    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        base=base,
        bars=bars,
        ticks=ticks,
        xlabels=xlabels,
        legend=[(sid, label) for sid, label, _ in series],
    )


def bar_list(
    items: Sequence[tuple[str, float, str]], series: str, *, width: int = 960, row: int = 64
) -> Chart:
    """One horizontal bar per item (label, value, value as text), the label above it."""
    left, right = 16.0, width - 150.0
    high = max((v for _, v, _ in items), default=0.0) or 1.0
    bars = []
    for i, (label, value, text) in enumerate(items):
        w = max(2.0, (right - left) * value / high)
        shown = label if len(label) <= TITLE_CHARS else label[: TITLE_CHARS - 1] + "…"
        bars.append(Bar(left, 16.0 + i * row + 30, w, 22.0, series, shown, text))
    height = int(16 + len(items) * row + 8)
    return Chart(width, height, left, right, 16.0, height - 8.0, bars, [], [], [])


def span(seconds: float | None) -> str:
    """A duration for people: ``45 min``, ``5 h 10 min``, ``3 d 4 h``."""
    if seconds is None:
        return "–"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)} %"


def day(ts: float) -> str:
    """A local date for people: ``Mon 12 Feb 2024``."""
    return dt.datetime.fromtimestamp(ts).strftime("%a %d %b %Y")


def flagged_sessions(report: GuardrailReport) -> list[list[Flag]]:
    """The flags grouped by session, in the report's order (most recent first)."""
    groups: dict[str, list[Flag]] = {}
    for f in report.flags:
        groups.setdefault(f.session_id, []).append(f)
    return list(groups.values())


def charts(report: MetricsReport) -> dict[str, Chart]:
    m = report.metrics
    weeks = [dt.datetime.fromtimestamp(w.start).strftime("%d %b") for w in m.weeks]
    return {
        "weekly": column_chart(
            weeks,
            [
                ("raised", "Raised", [w.raised for w in m.weeks]),
                ("removed", "Removed", [w.removed for w in m.weeks]),
            ],
        ),
        "decisions": column_chart(
            weeks, [("decisions", "Decisions", [w.decisions for w in m.weeks])], height=360
        ),
        "ages": column_chart(
            list(AGE_LABELS),
            [("ages", "Open impediments", [b.count for b in m.age_buckets])],
            height=380,
        ),
        "oldest": bar_list(
            [(i.title, i.age, span(i.age)) for i in m.open_impediments[:10]], "ages"
        ),
        "escalations": column_chart(
            [label for _, label in OUTCOMES],
            [
                (
                    "escalations",
                    "Escalations",
                    [getattr(m.escalations.outcomes, k) for k, _ in OUTCOMES],
                )
            ],
            height=380,
        ),
    }
