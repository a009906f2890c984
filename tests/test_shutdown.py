"""A graceful stop with operations in flight, against a real server process (SPEC R9a):
on SIGTERM or Ctrl-C every op that was committed is acknowledged to its sender before
the socket closes, the close code is 1012, and the process exits with status 0."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import pytest
import websockets

from tests.support import LiveClient, ServerProcess


def acks(client: LiveClient) -> dict[str, int]:
    return {m["id"]: m["seq"] for m in client.received if m["type"] == "ack"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
async def test_a_graceful_stop_acks_every_committed_op_then_closes_with_1012(
    tmp_path: Path, sig: signal.Signals
) -> None:
    db = tmp_path / "stop.db"
    fast = ["--ops-per-second", "100000", "--ops-burst", "100000"]  # no op rate-limited
    server = ServerProcess(db, extra_args=fast).start()
    titles: dict[str, str] = {}
    try:
        forum_id = server.new_forum("sos", "Stopping")["id"]
        clients = [await LiveClient.connect(server.ws_url(forum_id)) for _ in range(2)]

        pacing = True

        async def send(c: LiveClient, op_id: str) -> None:
            titles[op_id] = f"Card {op_id}"
            with contextlib.suppress(websockets.ConnectionClosed):
                await c.op({"type": "add_card", "column": "new", "title": titles[op_id]}, op_id)

        async def paced(c: LiveClient, who: int) -> None:
            i = 0
            while pacing:  # a steady stream, a little ahead of the acks
                for _ in range(10):
                    await send(c, f"{who}-{i}")
                    i += 1
                await asyncio.sleep(0.01)

        senders = [asyncio.create_task(paced(c, i)) for i, c in enumerate(clients)]
        while sum(len(acks(c)) for c in clients) < 100:
            await asyncio.sleep(0.002)
        assert server.proc is not None
        server.proc.send_signal(sig)
        # uvicorn notices the signal within 0.1 s: keep ops in flight until it has.
        await asyncio.sleep(0.3)
        pacing = False
        await asyncio.gather(*senders)
        for c in clients:
            await asyncio.wait_for(c.ws.wait_closed(), 15)
        status = await asyncio.to_thread(server.proc.wait, 20)
        await asyncio.gather(*(c.close() for c in clients))
    finally:
        server.kill()
    acked = {op_id: seq for c in clients for op_id, seq in acks(c).items()}
    log = server.log()
    assert "too far behind" not in log, log  # the clients kept up: none was dropped (R15)

    again = ServerProcess(db).start()
    try:
        board = again.board(forum_id)
    finally:
        again.stop()
    op_of = {title: op_id for op_id, title in titles.items()}
    committed = {op_of[card["title"]]: int(card_id[1:]) for card_id, card in board["cards"].items()}
    assert len(committed) >= 100
    # SPEC R8: everything acked is on disk, at the seq its ack named ...
    assert {op_id: committed.get(op_id) for op_id in acked} == acked, log
    # ... and SPEC R9a: everything on disk was acked to its sender before the close.
    assert {op_id: acked.get(op_id) for op_id in committed} == committed, log
    # SPEC R9a: every client closed with 1012, after its acks; exit status 0.
    assert [c.ws.close_code for c in clients] == [1012, 1012]
    assert status == 0, log
    assert "Traceback" not in log, log
