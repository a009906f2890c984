"""The registry's side of one writer per forum, in one test process: two ``Rooms`` on
two stores of one SQLite file stand for two server processes
(docs/scale-out.md#one-writer-per-forum). A forum is handed over on request (the
owner's room stops, the asker loads everything committed), a submission between rooms
never takes a forum over, a process does not ask back a forum it just gave up, and a
room whose owner stopped renewing (a pause) is fenced: its write is refused and its
room stops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from board import ops as o
from board.model import new_board
from board.sync import Accepted, Refused
from server.config import TEMPLATES_DIR, Settings
from server.live.ownership import ForumElsewhere
from server.live.registry import Rooms
from server.storage.sqlite import SqliteStorage
from server.web.render import Renderer

LEASE = 0.6


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Rooms, Rooms]]:
    db = tmp_path / "own.db"
    stores = [await SqliteStorage.open(db), await SqliteStorage.open(db)]
    await stores[0].forums.create(new_board("f1", "sos", "Shared"), time.time())
    settings = Settings(db=db, demo=False, lease_seconds=LEASE)
    a, b = (Rooms(s.log, settings, Renderer(TEMPLATES_DIR)) for s in stores)
    try:
        yield a, b
    finally:
        for rooms in (a, b):
            await rooms.close()
        for s in stores:
            await s.close()


def card(title: str) -> o.AddCard:
    return o.AddCard(column="new", title=title)


async def test_a_forum_is_handed_over_on_request(pair: tuple[Rooms, Rooms]) -> None:
    a, b = pair
    on_a = await a.get("f1")
    assert on_a is not None and on_a.owner_epoch == 1
    assert isinstance(await a.submit("f1", card("on A"), actor="Ann"), Accepted)
    # Between rooms (escalation): refused, the forum stays A's (it renews its lease).
    refused = await b.submit("f1", card("from B"), actor="Bob")
    assert isinstance(refused, Refused) and refused.code == "storage"
    on_b = await b.get("f1")  # a socket: B asks A, A stops its room and releases
    assert on_b is not None and on_b.owner_epoch == 2
    assert on_b.sync.seq == 1  # loaded after the claim: what A committed
    assert on_a.closed and "f1" not in a.live()
    outcome = await b.submit("f1", card("on B"), actor="Bob")
    assert isinstance(outcome, Accepted) and outcome.item.seq == 2
    # A just gave it up: it does not ask for it back yet.
    started = asyncio.get_running_loop().time()
    with pytest.raises(ForumElsewhere):
        await a.get("f1")
    assert asyncio.get_running_loop().time() - started < LEASE


async def test_a_paused_owner_is_fenced_and_its_room_stops(pair: tuple[Rooms, Rooms]) -> None:
    a, b = pair
    on_a = await a.get("f1")
    assert on_a is not None
    assert isinstance(await a.submit("f1", card("before"), actor="Ann"), Accepted)
    task = a.claims._task  # A stops renewing, as a paused process would
    assert task is not None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    on_b = await b.get("f1")  # A does not answer; its lease runs out, B claims
    assert on_b is not None and on_b.owner_epoch == 2
    late = await on_a.submit(card("late on A"), actor="Ann")
    assert isinstance(late, Refused)  # never acked
    for _ in range(50):
        if on_a.closed:
            break
        await asyncio.sleep(0.02)
    assert on_a.closed and "f1" not in a.live()
    outcome = await b.submit("f1", card("on B"), actor="Bob")
    assert isinstance(outcome, Accepted) and outcome.item.seq == 2
    stored = await b.log.ops("f1", 1, 10)
    assert [(op.seq, op.actor) for op in stored] == [(1, "Ann"), (2, "Bob")]


async def test_a_dead_owners_forum_is_taken_once_its_lease_runs_out(
    pair: tuple[Rooms, Rooms],
) -> None:
    """A process killed while it held the forum (a restart after a crash): a submission
    (the startup reconcile's kind) waits for the lease to run out, it is not refused."""
    a, b = pair
    assert await a.log.claim("f1", "killed", LEASE) == 1
    outcome = await b.submit("f1", card("after the crash"), actor="Bob")
    assert isinstance(outcome, Accepted) and outcome.item.seq == 1
    on_b = await b.get("f1")
    assert on_b is not None and on_b.owner_epoch == 2
