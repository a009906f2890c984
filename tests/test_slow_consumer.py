"""A client that stops reading never holds the others back (SPEC R15).

One client of a busy forum stops reading its socket. Everyone else still gets every
item, in order, promptly; the server answers pings at once; and the stalled client,
once its bounded queue overflows, is dropped (the others see it leave).
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from tests.support import LiveClient, ServerProcess, close_all

BODY = "A long impediment description that fills the stalled client's buffers. " * 50


async def test_a_stalled_client_is_dropped_and_nobody_waits(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    url = server.ws_url(forum["id"])
    observer = await LiveClient.connect(url)
    senders = [await LiveClient.connect(url) for _ in range(3)]
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    raw.connect(("127.0.0.1", server.port))
    raw.setblocking(False)
    stalled = await LiveClient.connect(url, sock=raw)
    stalled_id = (
        next(m["you"]["id"] for m in stalled.received if m["type"] == "welcome" and "you" in m)
        if any("you" in m for m in stalled.received)
        else None
    )
    # From here on it reads nothing: no consumer (websockets then stops reading the
    # socket once its own small queue is full) and the transport paused.
    stalled._reader.cancel()
    stalled.ws.transport.pause_reading()

    started = time.perf_counter()
    slowest_ping = 0.0
    sent: list[tuple[LiveClient, list[str]]] = []
    for round_ in range(30):  # ~7 MB: more than the kernel buffers on both ends hold
        for i, s in enumerate(senders):
            ids = [
                await s.op(
                    {
                        "type": "add_card",
                        "column": "new",
                        "title": f"r{round_} s{i} n{n}",
                        "body": BODY,
                    }
                )
                for n in range(10)
            ]
            sent.append((s, ids))
        t = time.perf_counter()
        await observer.send_json({"type": "ping"})
        await observer.expect("pong", timeout=5)
        slowest_ping = max(slowest_ping, time.perf_counter() - t)
        await asyncio.sleep(0.2)  # stay under the per-connection rate limit
    answers = [a for s, ids in sent for a in await s.answers(ids, timeout=30)]
    assert all(a["type"] == "ack" for a in answers), [a for a in answers if a["type"] != "ack"][:3]
    last = max(a["seq"] for a in answers)
    await observer.wait_seq(last, timeout=10)
    seqs = [item["seq"] for item in observer.items()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert set(a["seq"] for a in answers) <= set(seqs)
    # The server stayed responsive to everyone else while one client was stuck.
    assert slowest_ping < 1.0, slowest_ping
    assert time.perf_counter() - started < 30
    # The stalled client's queue overflowed: the server let it go, the others saw it leave.
    left = [pid for m in observer.received if m["type"] == "batch" for pid in m.get("left", [])]
    deadline = time.perf_counter() + 10
    while not left and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        left = [pid for m in observer.received if m["type"] == "batch" for pid in m.get("left", [])]
    assert left, "the stalled client was never dropped"
    if stalled_id is not None:
        assert stalled_id in left
    await close_all([observer, *senders])
    stalled.ws.transport.abort()
