"""The fast send path's hold on uvicorn (``server/live/transport.py``) is checked, not
assumed: every private attribute it reads exists on the installed uvicorn with the
kind it expects, and against a real server (uvicorn in this process, so the room's
peers can be looked at) frames reach clients through it and not through ``send``.

If a uvicorn release renames or changes these, this file fails; raise the bound on
uvicorn in ``pyproject.toml`` only once it passes on the new release.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from websockets.protocol import State
from websockets.server import ServerProtocol

from server.access.service import WHO
from server.app import create_app
from server.cli import uvicorn_config
from server.config import Settings
from server.live import transport
from server.live.peer import Peer
from server.web.deps import services_of
from tests.support import LiveClient, free_port

ADMIN = "transport-test-admin-token-0123456789"


def test_uvicorn_is_within_the_tested_bound() -> None:
    major, minor = (int(p) for p in uvicorn.__version__.split(".")[:2])
    assert (0, 35) <= (major, minor) < (0, 56), (
        f"uvicorn {uvicorn.__version__}: check transport.py against it, then move the "
        "bound in pyproject.toml and here"
    )


def test_the_protocol_class_has_what_the_fast_path_reads() -> None:
    cls = transport.WebSocketsSansIOProtocol
    assert cls is not None, "uvicorn's websockets-sansio protocol is gone"
    init = inspect.getsource(cls.__init__)
    for name in transport.REQUIRED:  # set in __init__, so not class attributes
        assert f"self.{name}" in init, f"uvicorn no longer sets {name} on its protocol"
    assert callable(cls.pause_writing) and callable(cls.resume_writing)
    # Flow control clears and sets ``writable``: the fast path checks it.
    assert "self.writable.clear()" in inspect.getsource(cls.pause_writing)
    assert "self.writable.set()" in inspect.getsource(cls.resume_writing)
    assert "close_sent" in inspect.getsource(cls.send)
    assert issubclass(cls, asyncio.Protocol)
    # ``forget_handshake``: the request and response are kept by handle_connect and read
    # by send only while the handshake is not complete; nothing else reads them.
    for name in transport.HANDSHAKE:
        assert f"self.{name}" in inspect.getsource(cls.handle_connect)
    readers = {
        n
        for n, f in inspect.getmembers(cls, inspect.isfunction)
        if any(f"self.{a}" in inspect.getsource(f) for a in transport.HANDSHAKE)
    }
    assert readers == {"handle_connect", "send"}, readers
    send = inspect.getsource(cls.send)
    start = send.index("\n        if not self.handshake_complete")
    end = send.index("\n        elif", start)  # the branch for a completed handshake
    assert start < send.index("self.response") and send.rindex("self.response") < end
    assert "self.request" not in send


def _uses(cls: type, name: str) -> set[str]:
    """The attributes uvicorn's protocol reads of ``self.<name>``, in all its source."""
    return set(re.findall(rf"self\.{name}\.(\w+)", inspect.getsource(cls)))


def test_the_lean_protocol_replaces_only_what_uvicorn_uses() -> None:
    """``LeanProtocol`` swaps the receive queue and ``writable`` for lighter objects:
    they must offer everything uvicorn calls on them."""
    cls = transport.WebSocketsSansIOProtocol
    assert cls is not None
    queue_uses = _uses(cls, "queue")
    assert queue_uses and queue_uses <= {"put_nowait", "get", "empty", "qsize"}, queue_uses
    flag_uses = _uses(cls, "writable")
    assert flag_uses and flag_uses <= {"set", "clear", "is_set", "wait"}, flag_uses
    init = inspect.getsource(cls.__init__)
    assert "self.queue" in init and "self.writable" in init
    assert "self.writable.set()" in init  # so a new Flag starts set
    # ``LeanProtocol.receive`` does what uvicorn's does: the next message, and reading
    # resumed once the queue is empty.
    receive = inspect.getsource(cls.receive)
    assert "await self.queue.get()" in receive
    assert "if self.read_paused and self.queue.empty():" in receive
    assert "self.transport.resume_reading()" in receive


async def test_the_inbox_gives_items_in_order_and_wakes_its_reader() -> None:
    inbox: transport.Inbox[int] = transport.Inbox()
    assert inbox.empty() and inbox.qsize() == 0
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await reader == 1
    assert inbox.qsize() == 1 and await inbox.get() == 2 and inbox.empty()
    cancelled = asyncio.create_task(inbox.get())  # a cancelled read loses nothing
    await asyncio.sleep(0)
    cancelled.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await cancelled
    inbox.put_nowait(3)
    assert await inbox.get() == 3
    ready = inbox.next()  # a waiting reader is handed the item directly
    inbox.put_nowait(4)
    assert ready.done() and ready.result() == 4 and inbox.empty()


async def test_the_flag_holds_writers_until_set() -> None:
    flag = transport.Flag()
    assert flag.is_set() and await flag.wait()
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    flag.clear()
    gone = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    gone.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await gone
    flag.set()
    assert flag.is_set()


@contextlib.asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[tuple[Any, int]]:
    settings = Settings(port=free_port(), db=tmp_path / "board.db", admin_token=ADMIN)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn_config(settings, "warning", app=app))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield app, settings.port
    finally:
        server.should_exit = True
        await task


async def test_frames_go_straight_to_the_transport(tmp_path: Path) -> None:
    async with served(tmp_path) as (app, port):
        url = f"ws://127.0.0.1:{port}/forums/sos-commerce/live?token={ADMIN}"
        watcher = await LiveClient.connect(url)
        actor = await LiveClient.connect(url)
        try:
            room = services_of(app).rooms.live()["sos-commerce"]
            peers: list[Peer] = list(room.peers.values())
            assert len(peers) == 2
            sent_by_send: list[dict[str, Any]] = []
            for peer in peers:
                proto = transport.server_protocol(peer._send)
                assert proto is not None, "the server's send is not uvicorn's protocol"
                assert isinstance(proto.conn, ServerProtocol)
                assert proto.conn.state is State.OPEN
                assert isinstance(proto, transport.LeanProtocol)
                assert isinstance(proto.queue, transport.Inbox)
                assert isinstance(proto.writable, transport.Flag) and proto.writable.is_set()
                assert proto.close_sent is False
                assert isinstance(proto.transport, asyncio.Transport)
                assert peer._fast is not None and peer._fast() is proto.transport
                assert proto.request is None and proto.response is None  # forgotten
                assert proto.scope["headers"] == []  # read by the handshake, then let go
                assert WHO not in proto.scope  # asked once: no key grows the scope
                peer._send = _counting(peer._send, sent_by_send)  # the slow path, watched

            for i in range(5):
                answer = await actor.call({"type": "add_card", "column": "new", "title": f"T{i}"})
                assert answer["type"] == "ack"
            await watcher.wait_seq(actor.seq)
            text = [m for m in sent_by_send if m.get("type") == "websocket.send"]
            assert text == [], "frames went through uvicorn's send, not the fast path"
        finally:
            await watcher.close()
            await actor.close()


def _counting(send: Any, seen: list[dict[str, Any]]) -> Any:
    async def counted(message: dict[str, Any]) -> None:
        seen.append(message)
        await send(message)

    return counted
