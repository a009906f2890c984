"""What the metrics pages read: forum histories (cached, replayed incrementally) and
the period a request asks for.

A forum's history is its operation log replayed from its first stored board
(``board.metrics_history.HistoryBuilder``). Replaying a long log on every request
would be slow, so one builder per forum is kept (an LRU of ``CACHE_SIZE``) and fed
only the ops logged since it was last asked; the facts it gives are cached by the
forum's seq. Long replays run in a thread (the builder and boards are pure and
immutable, and a per-forum lock keeps one request at a time on a builder). A log that
does not replay (a gap, a refused op) makes the forum's metrics unavailable rather
than wrong.

Periods are whole local days: ``?days=N`` (7, 30, 90 or 365) ends today, ``?from=…
&to=…`` are dates, both included. A period's end is never later than now, so ages
are measured at "now" for a period that includes today. Weeks start every 7 days from
the period's first day, at local midnight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

import msgspec

from board.apply import Rejected
from board.guardrails import Flag, check_forum
from board.metrics_history import ForumHistory, HistoryBuilder
from board.periods import Period
from server.storage import Storage

CACHE_SIZE: Final = 256  # forums whose builders are kept
THREAD_OVER: Final = 500  # replay more ops than this off the event loop
MAX_SEQ: Final = 1 << 62
DAYS: Final = (7, 30, 90, 365)
DEFAULT_DAYS: Final = 30
MAX_RANGE_DAYS: Final = 3660  # about ten years
DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Unavailable(Exception):
    """The forum's log cannot be replayed here (nothing stored, a gap, a refusal)."""


class BadPeriod(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- periods ----------------------------------------------------------------------------


class Chosen(msgspec.Struct, frozen=True):
    """The period a request chose, as the page's picker shows it."""

    period: Period
    bounds: list[float]  # week starts (local midnights), then the period's end
    first_day: dt.date
    last_day: dt.date
    days: int | None  # the ``?days=`` choice, None for a from/to range

    @property
    def query(self) -> str:
        """The query string that chooses this period again."""
        if self.days is not None:
            return f"days={self.days}"
        return f"from={self.first_day.isoformat()}&to={self.last_day.isoformat()}"


def midnight(day: dt.date) -> float:
    """Local midnight at the start of ``day``."""
    return dt.datetime.combine(day, dt.time()).timestamp()


def _date(raw: str, name: str) -> dt.date:
    text = raw.strip()
    if not DATE_RE.fullmatch(text):
        raise BadPeriod(f"“{name}” must be a date written YYYY-MM-DD, not {text[:40]!r}.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"“{name}” is not a real date: {text!r}.") from None


def choose_period(days: str | None, from_: str | None, to: str | None, now: float) -> Chosen:
    """The period of ``?days=`` or ``?from=&to=`` (default: the last 30 days)."""
    today = dt.datetime.fromtimestamp(now).date()
    ranged = from_ is not None or to is not None
    if days is not None and ranged:
        raise BadPeriod("Choose either a number of days or a from/to range, not both.")
    if ranged:
        if from_ is None or to is None:
            raise BadPeriod("A range needs both “from” and “to” (YYYY-MM-DD).")
        first, last = _date(from_, "from"), _date(to, "to")
        if last < first:
            raise BadPeriod(f"The range ends ({last}) before it starts ({first}).")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise BadPeriod(f"A range can be at most {MAX_RANGE_DAYS} days long.")
        if first > today:
            raise BadPeriod(f"The range starts in the future ({first}); nothing is recorded yet.")
        chosen_days = None
    else:
        text = (days if days is not None else str(DEFAULT_DAYS)).strip()
        if text not in {str(d) for d in DAYS}:
            choices = ", ".join(str(d) for d in DAYS)
            raise BadPeriod(f"“days” must be one of {choices}, not {text[:40]!r}.")
        chosen_days = int(text)
        last = today
        first = today - dt.timedelta(days=chosen_days - 1)
    start = midnight(first)
    end = min(midnight(last + dt.timedelta(days=1)), now)
    bounds = [start]
    week = first + dt.timedelta(days=7)
    while midnight(week) < end:
        bounds.append(midnight(week))
        week += dt.timedelta(days=7)
    bounds.append(end)
    return Chosen(
        period=Period(start, end), bounds=bounds, first_day=first, last_day=last, days=chosen_days
    )


# -- histories ----------------------------------------------------------------------------


class _Entry:
    __slots__ = ("builder", "history")

    def __init__(self, builder: HistoryBuilder) -> None:
        self.builder = builder
        self.history: ForumHistory | None = None


class Histories:
    """Per forum: a history builder kept up to date with the log, and its facts.
    ``storage`` reads the log, the forum directory and the first board."""

    def __init__(self, storage: Storage, size: int = CACHE_SIZE) -> None:
        self.storage = storage
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self.replayed = 0  # ops replayed so far (for tests and curiosity)

    async def get(self, forum_id: str) -> ForumHistory:
        lock = self._locks.setdefault(forum_id, asyncio.Lock())
        async with lock:
            try:
                return await self._get(forum_id)
            except (ValueError, Rejected) as e:
                self._entries.pop(forum_id, None)
                raise Unavailable(f"The log of this forum does not replay: {e}") from None

    async def _get(self, forum_id: str) -> ForumHistory:
        entry = self._entries.get(forum_id)
        if entry is None:
            first = await self.storage.metrics.first_board(forum_id)
            if first is None:
                raise Unavailable("No board of this forum is stored.")
            entry = _Entry(HistoryBuilder(first))
        self._entries[forum_id] = entry
        self._entries.move_to_end(forum_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        builder = entry.builder
        ops = await self.storage.log.ops(forum_id, builder.seq + 1, MAX_SEQ)
        if ops:
            entry.history = None
            if len(ops) > THREAD_OVER:
                await asyncio.to_thread(builder.feed, ops)
            else:
                builder.feed(ops)
            self.replayed += len(ops)
        if entry.history is None:
            entry.history = builder.history()
        return entry.history

    async def session_flags(self, forum_ids: Iterable[str]) -> dict[str, list[Flag]]:
        """Guardrail flags of every recorded session of these forums, by session id (for
        the history lists; a forum whose log does not replay simply has none)."""
        teams = await self.storage.forums.teams()
        serving = await self.storage.forums.served()
        out: dict[str, list[Flag]] = {}
        for forum_id in dict.fromkeys(forum_ids):
            try:
                history = await self.get(forum_id)
            except Unavailable:
                continue
            for flag in check_forum(history, None, teams, serving.get(forum_id, ())).flags:
                out.setdefault(flag.session_id, []).append(flag)
        return out
