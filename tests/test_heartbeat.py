"""Dead connections are noticed by heartbeat and leave presence within seconds (SPEC R16).

A client whose network goes silent (it neither reads nor answers pings) does not close
its socket; only the server's heartbeat can tell. With a 0.5 s interval and a 1 s
timeout, everyone else sees it leave within a few seconds, and a live client that
answers pings stays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, close_all


@pytest.fixture
def quick_pings(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path / "pings.db", extra_args=["--ping-interval", "0.5", "--ping-timeout", "1"]
    ).start()
    yield proc
    proc.stop()


def _left(client: LiveClient) -> list[str]:
    return [pid for m in client.received if m["type"] == "batch" for pid in m.get("left", [])]


async def test_a_silent_client_leaves_presence_within_seconds(quick_pings: ServerProcess) -> None:
    forum: dict[str, Any] = quick_pings.new_forum("sos", "Heartbeat")
    url = quick_pings.ws_url(forum["id"])
    observer = await LiveClient.connect(url)
    silent = await LiveClient.connect(url)
    silent_id = silent.received[0]["you"]["id"]
    await observer.expect("batch", match=lambda m: m.get("joined"))
    # The network goes quiet: nothing is read, so no ping is answered.
    silent._reader.cancel()
    silent.ws.transport.pause_reading()
    started = asyncio.get_running_loop().time()
    while silent_id not in _left(observer):
        assert asyncio.get_running_loop().time() - started < 5, observer.received[-3:]
        await asyncio.sleep(0.1)
    # The observer answered every ping meanwhile and is still served.
    assert observer.ws.close_code is None
    answer = await observer.call({"type": "add_card", "column": "new", "title": "Still here"})
    assert answer["type"] == "ack"
    await close_all([observer])
    silent.ws.transport.abort()


def test_heartbeat_options_are_checked(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "bad.db", extra_args=["--ping-interval", "0"])
    with pytest.raises(RuntimeError, match="ping-interval"):
        proc.start(timeout=10)
