"""A feed's iCalendar document, made with ``icalendar`` (RFC 5545). Pure: no I/O.

Sessions are timed events (``DTSTART``/``DTEND`` in UTC; a running session ends "now"
until it ends). Next steps with a due date are all-day events on that date: calendar
apps that ignore to-dos (Google Calendar, Outlook) still show them. Every component has
a stable ``UID``, so a client that refreshes the feed updates its copy in place, and a
``URL`` back to the session or the forum's next steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import icalendar

from server.storage.history import LoggedStep
from server.storage.sessions import SessionRecord

PRODID: Final = "-//Scaleboard//Calendar feed//EN"
DOMAIN: Final = "scaleboard"  # the right-hand side of every UID


def _utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


def session_event(
    s: SessionRecord, forum_name: str, base: str, now: dt.datetime
) -> icalendar.Event:
    e = icalendar.Event()
    e.add("uid", f"session-{s.id}@{DOMAIN}")
    e.add("dtstamp", now)
    e.add("dtstart", _utc(s.started_at))
    end = _utc(s.ended_at) if s.ended_at is not None else max(now, _utc(s.started_at))
    e.add("dtend", end)
    running = " (running)" if s.ended_at is None else ""
    e.add("summary", f"{forum_name}: session {s.number}{running}")
    people = ", ".join(s.participants[:30])
    e.add(
        "description",
        f"{s.decisions} decision(s), {s.next_steps} next step(s)."
        + (f"\nTook part: {people}" if people else ""),
    )
    e.add("url", f"{base}/sessions/{s.id}")
    e.add("transp", "OPAQUE")
    return e


def step_event(step: LoggedStep, base: str, now: dt.datetime) -> icalendar.Event | None:
    """A next step due on a date, as an all-day event (``None``: no due date)."""
    if step.due is None:
        return None
    e = icalendar.Event()
    e.add("uid", f"step-{step.forum_id}-{step.id}@{DOMAIN}")
    e.add("dtstamp", now)
    e.add("dtstart", step.due)
    e.add("dtend", step.due + dt.timedelta(days=1))
    e.add("summary", f"Next step: {step.text}")
    owner = f"Owner: {step.owner}\n" if step.owner else ""
    e.add(
        "description",
        f"{owner}Forum: {step.forum_name}, session {step.session_number}\nStatus: {step.status}",
    )
    e.add("url", f"{base}/forums/{step.forum_id}/next-steps")
    e.add("transp", "TRANSPARENT")  # a deadline, not time taken
    e.add("categories", ["Next step"])
    return e


def calendar(
    name: str,
    sessions: Iterable[tuple[SessionRecord, str]],
    steps: Iterable[LoggedStep],
    base: str,
    now: dt.datetime,
) -> bytes:
    """The whole feed: ``sessions`` (each with its forum's name) and due ``steps``."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", dt.timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    for s, forum_name in sessions:
        cal.add_component(session_event(s, forum_name, base, now))
    for step in steps:
        event = step_event(step, base, now)
        if event is not None:
            cal.add_component(event)
    return bytes(cal.to_ical())
