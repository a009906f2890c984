"""One writer per forum with real server processes on one PostgreSQL database
(docs/scale-out.md#one-writer-per-forum, SPEC R9b).

(a) A client on each of two processes for one forum: the second process asks the
owner for the forum, which stops its room (acks, then close 1012 "owner moved") and
hands it over; the moved client reconnects where the proxy would send it (the new
owner) and resends; both end on one board, every acked op stored once, in one log.
The process that gave the forum up does not ask it back at once (a socket there
gets 1013, an API call 503).

(b) The paused stale owner: A owns the forum, SIGSTOP, past its lease B takes the
forum over and acks; SIGCONT A: A writes nothing more to the forum's log (the owner
epoch fences it inside the transaction), its client is closed, and what it sent
while paused was never acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from server.storage.postgres import PostgresStorage
from tests.support import LiveClient, ServerProcess

LEASE = 1.0


@contextlib.contextmanager
def two_servers(db_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    lease = ["--lease", str(LEASE)]
    a = ServerProcess(db_url, log_path=tmp_path / "a.log", extra_args=lease).start()
    try:
        b = ServerProcess(db_url, log_path=tmp_path / "b.log", extra_args=lease)
        b.admin_token = a.admin_token  # one network, one admin
        b.start()
        try:
            yield a, b
        finally:
            b.kill()
    finally:
        if a.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(a.proc.pid, signal.SIGCONT)
        a.kill()


async def stored(db_url: str, forum_id: str) -> list[tuple[int, str | None]]:
    """(seq, op id) of every op in the forum's log, read from the database."""
    storage = await PostgresStorage.open(db_url)
    try:
        return [(op.seq, op.op_id) for op in await storage.log.ops(forum_id, 1, 10_000)]
    finally:
        await storage.close()


async def closed(client: LiveClient, timeout: float = 10.0) -> int | None:
    """Wait until the server closes the client's socket; its close code."""
    async with asyncio.timeout(timeout):
        await client.ws.wait_closed()
    return client.ws.close_code


def card(title: str) -> dict[str, str]:
    return {"type": "add_card", "column": "new", "title": title}


async def test_two_processes_converge_on_one_board_through_a_handover(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        forum_id = a.new_forum("sos", "Shared")["id"]
        on_a = await LiveClient.connect(a.ws_url(forum_id))
        first = [await on_a.op(card(f"a{i}"), f"a-{i}") for i in range(5)]
        assert all(m["type"] == "ack" for m in await on_a.answers(first))

        on_b = await LiveClient.connect(b.ws_url(forum_id))  # B asks A for the forum
        assert await closed(on_a) == 1012
        assert on_a.ws.close_reason == "owner moved"
        welcome = next(m for m in on_b.received if m["type"] == "welcome")
        assert welcome["seq"] == 5  # B loaded after its claim: all A committed
        from_b = [await on_b.op(card(f"b{i}"), f"b-{i}") for i in range(3)]
        assert all(m["type"] == "ack" for m in await on_b.answers(from_b))

        # A just gave the forum up: a socket there is told to try later, B keeps it.
        again = await LiveClient.connect(a.ws_url(forum_id), hello=False)
        assert await closed(again) == 1013
        status, body = a.request("POST", f"/api/forums/{forum_id}/ops", {"op": card("http")})
        assert status == 503 and body["code"] == "unavailable"  # and nothing was applied

        # The moved client reconnects where the proxy sends it (the owner) and resends.
        moved = await LiveClient.connect(b.ws_url(forum_id), last_seq=5, epoch=on_a.epoch)
        more = [await moved.op(card(f"a{i}"), f"a-{i}") for i in range(5, 8)]
        assert all(m["type"] == "ack" for m in await moved.answers(more))
        await on_b.wait_seq(11)
        assert b.board(forum_id)["seq"] == 11
        for c in (on_b, moved, on_a, again):
            await c.close()

    ops = await stored(db_url, forum_id)
    assert [seq for seq, _ in ops] == list(range(1, 12))
    assert [i for _, i in ops] == [*first, *from_b, *more]


async def test_a_paused_owner_cannot_write_once_another_took_over(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        assert a.proc is not None
        forum_id = a.new_forum("sos", "Paused")["id"]
        on_a = await LiveClient.connect(a.ws_url(forum_id))
        early = [await on_a.op(card(f"early {i}"), f"a-{i}") for i in range(4)]
        assert all(m["type"] == "ack" for m in await on_a.answers(early))

        os.kill(a.proc.pid, signal.SIGSTOP)
        try:
            late = [await on_a.op(card(f"late {i}"), f"late-{i}") for i in range(4)]
            await asyncio.sleep(LEASE * 2 + 0.5)  # A's lease has run out
            on_b = await LiveClient.connect(b.ws_url(forum_id))
            assert next(m for m in on_b.received if m["type"] == "welcome")["seq"] == 4
            taken = [await on_b.op(card(f"b {i}"), f"b-{i}") for i in range(4)]
            assert all(m["type"] == "ack" for m in await on_b.answers(taken))
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)

        # A resumes with the late ops queued: it decides them, the fence refuses the
        # write, and its room stops; its client is closed without an ack for them.
        assert await closed(on_a) == 1012
        answered = {m["id"] for m in on_a.received if m["type"] in ("ack", "reject")}
        assert answered.isdisjoint(late)
        after = [await on_b.op(card(f"b {i}"), f"b-{i}") for i in range(4, 6)]
        assert all(m["type"] == "ack" for m in await on_b.answers(after))
        await asyncio.sleep(LEASE)  # time for anything A might still try
        assert "a write was fenced off" in a.log()  # A tried, the database refused
        ops = await stored(db_url, forum_id)
        assert [seq for seq, _ in ops] == list(range(1, 11))  # none lost, none twice
        assert [i for _, i in ops] == [*early, *taken, *after]  # after the takeover: B's
        assert b.board(forum_id)["seq"] == 10
        await on_a.close()
        await on_b.close()
