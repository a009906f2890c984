"""How times, durations and names read on pages (Jinja globals and filters of the
renderer, and of the Markdown export)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from board.model import Card


def card_name(card: Card) -> str:
    """What a reference to ``card`` says: its title, or that it is face down (R22)."""
    return card.title or ("a hidden card" if card.hidden else card.id)


def hue(name: str) -> int:
    """A stable colour hue for a person's name (presence chips)."""
    return int.from_bytes(hashlib.blake2s(name.encode(), digest_size=2).digest(), "big") % 360


def initials(name: str) -> str:
    """``Maya Chen`` -> ``MC``, ``Fay (Platform)`` -> ``FP``, ``bo`` -> ``BO``: letters and
    digits of the first and last words (``static/js/presence.js`` says the same)."""
    parts = re.findall(r"[^\W_]+", name)
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:2].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def clock(ts: float | None) -> str:
    """The time of day in UTC, labelled (pages show it in the viewer's zone: times.js)."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%H:%M UTC")


def when(ts: float | None) -> str:
    """Date and time in UTC, labelled (pages show it in the viewer's zone: times.js)."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%a %d %b %Y, %H:%M UTC")


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
