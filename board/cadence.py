"""Cadence guardrails (SPEC R70): forums that did not meet when Scrum@Scale says they
meet, read from the sessions they recorded (start times), never guessed.

- ``metascrum_skipped`` — a MetaScrum held no session in a sprint that has ended (from
  the sprint the forum was made in): the backlog went a sprint without being ordered.
- ``sos_missed_day`` — a Scrum of Scrums (its Scaled Daily Scrum) held no session on a
  working day (Monday to Friday, by the UTC date a session started) that is over, from
  the day after the forum was made. One flag per sprint lists the days missed.

Like every guardrail they flag, never block. Days and sprints are UTC (``sprints.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import msgspec

from .sprints import SprintCalendar, utc_day

RULES: Final = {
    "metascrum_skipped": "No MetaScrum in a sprint",
    "sos_missed_day": "Scrum of Scrums did not meet on a working day",
}


class CadenceFlag(msgspec.Struct, frozen=True, kw_only=True):
    """A sprint in which a forum missed its cadence, and why, in words."""

    rule: str
    label: str
    forum_id: str
    forum_name: str
    sprint: int
    reason: str
    days: list[dt.date] = msgspec.field(default_factory=list)  # the working days missed


def _day_text(day: dt.date) -> str:
    return day.strftime("%a %d %b")


def metascrum_skipped(
    calendar: SprintCalendar,
    forum_id: str,
    forum_name: str,
    created_at: float,
    started: Iterable[float],
    now: float,
) -> list[CadenceFlag]:
    """Each ended sprint, from the one the forum was made in, with no session started."""
    held = {calendar.number_at(at) for at in started}
    first = max(1, calendar.number_at(created_at))
    last = calendar.number_at(now) - 1  # the current sprint has not ended
    out: list[CadenceFlag] = []
    for sprint in reversed(calendar.between(first, last)):
        if sprint.number in held:
            continue
        out.append(
            CadenceFlag(
                rule="metascrum_skipped",
                label=RULES["metascrum_skipped"],
                forum_id=forum_id,
                forum_name=forum_name,
                sprint=sprint.number,
                reason=(
                    f"{forum_name} held no session in {sprint.label} "
                    f"({_day_text(sprint.first_day)} to {_day_text(sprint.last_day)}): "
                    "the backlog was not ordered that sprint."
                ),
            )
        )
    return out


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday to Friday from ``first`` to ``last``, both included."""
    n = (last - first).days + 1
    days = (first + dt.timedelta(days=i) for i in range(max(0, n)))
    return [d for d in days if d.weekday() < 5]


def sos_missed_days(
    calendar: SprintCalendar,
    forum_id: str,
    forum_name: str,
    created_at: float,
    started: Iterable[float],
    now: float,
    since: dt.date | None = None,
) -> list[CadenceFlag]:
    """Per sprint (newest first), the working days over (before today, UTC) from the
    day after the forum was made (and from ``since``) with no session started."""
    met = {utc_day(at) for at in started}
    first = utc_day(created_at) + dt.timedelta(days=1)
    if since is not None:
        first = max(first, since)
    first = max(first, calendar.start)  # nothing is expected before sprint 1
    missed = [d for d in working_days(first, utc_day(now) - dt.timedelta(days=1)) if d not in met]
    by_sprint: dict[int, list[dt.date]] = {}
    for d in missed:
        by_sprint.setdefault(calendar.number_on(d), []).append(d)
    out: list[CadenceFlag] = []
    for number in sorted(by_sprint, reverse=True):
        days = by_sprint[number]
        listed = ", ".join(_day_text(d) for d in days)
        plural = "day" if len(days) == 1 else "days"
        out.append(
            CadenceFlag(
                rule="sos_missed_day",
                label=RULES["sos_missed_day"],
                forum_id=forum_id,
                forum_name=forum_name,
                sprint=number,
                reason=(
                    f"{forum_name} held no Scaled Daily Scrum on {len(days)} working "
                    f"{plural} of Sprint {number}: {listed}."
                ),
                days=days,
            )
        )
    return out
