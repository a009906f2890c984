"""The network's sprint calendar: sprints of a fixed length, numbered from a start date
(SPEC R69).

Sprint 1 begins at 00:00 UTC on ``start``; sprint ``n`` covers the ``days`` whole UTC
days from ``start + (n - 1) * days``. A moment belongs to the sprint whose days hold
its UTC date, so every process and every viewer agrees whatever their time zone. A
moment before sprint 1 is in no sprint (number ``0`` or less; ``label`` says "Before
Sprint 1").
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

MIN_DAYS: Final = 1
MAX_DAYS: Final = 365  # as --sprint-days allows
EPOCH_FLOOR: Final = dt.date(2000, 1, 1)  # no sprint 1 before this (a typo, not a plan)
EPOCH_CEIL: Final = dt.date(2100, 1, 1)


class BadCalendar(ValueError):
    """A sprint length or start that cannot be used; the message says why."""


class Sprint(msgspec.Struct, frozen=True):
    """Sprint ``number``: its first and last UTC day, and ``[start, end)`` as Unix times."""

    number: int
    first_day: dt.date
    last_day: dt.date
    start: float
    end: float

    @property
    def label(self) -> str:
        return f"Sprint {self.number}"

    def __contains__(self, at: float) -> bool:
        return self.start <= at < self.end


def utc_day(at: float) -> dt.date:
    """The UTC date of a Unix time."""
    return dt.datetime.fromtimestamp(at, dt.UTC).date()


def utc_midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()


class SprintCalendar(msgspec.Struct, frozen=True):
    """Sprints of ``days`` days, sprint 1 starting on ``start`` (UTC)."""

    days: int
    start: dt.date

    def __post_init__(self) -> None:
        check_calendar(self.days, self.start)

    def number_on(self, day: dt.date) -> int:
        """The sprint number of a UTC date (``<= 0``: before sprint 1)."""
        return (day - self.start).days // self.days + 1

    def number_at(self, at: float) -> int:
        """The sprint number of a Unix time."""
        return self.number_on(utc_day(at))

    def sprint(self, number: int) -> Sprint:
        first = self.start + dt.timedelta(days=(number - 1) * self.days)
        after = first + dt.timedelta(days=self.days)
        return Sprint(
            number=number,
            first_day=first,
            last_day=after - dt.timedelta(days=1),
            start=utc_midnight(first),
            end=utc_midnight(after),
        )

    def label_at(self, at: float) -> str:
        """ "Sprint 14" for a moment in sprint 14; "Before Sprint 1" before sprint 1."""
        n = self.number_at(at)
        return f"Sprint {n}" if n >= 1 else "Before Sprint 1"

    def between(self, first: int, last: int) -> list[Sprint]:
        """Sprints ``first`` to ``last`` (both included, never below 1), oldest first."""
        return [self.sprint(n) for n in range(max(1, first), last + 1)]


def check_calendar(days: int, start: dt.date) -> None:
    """``BadCalendar`` unless ``days`` is a whole 1-60 and ``start`` a plausible date."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise BadCalendar("The sprint length must be a whole number of days.")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise BadCalendar(
            f"A sprint lasts {MIN_DAYS} to {MAX_DAYS} days; {days} days does not work."
        )
    if not EPOCH_FLOOR <= start < EPOCH_CEIL:
        raise BadCalendar(f"Sprint 1 must start between {EPOCH_FLOOR} and {EPOCH_CEIL}.")


def parse_calendar(days: str, start: str) -> SprintCalendar:
    """A calendar from form text (``days``: digits; ``start``: YYYY-MM-DD)."""
    text = days.strip()
    if not text.isdigit() or len(text) > 4:
        raise BadCalendar(f"The sprint length must be a whole number of days, not {text[:20]!r}.")
    raw = start.strip()
    try:
        first = dt.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        first = None
    if first is None:
        raise BadCalendar(
            f"The start of sprint 1 must be a date written YYYY-MM-DD, not {raw[:20]!r}."
        )
    return SprintCalendar(days=int(text), start=first)
