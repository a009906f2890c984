"""Every touch of uvicorn's internals, in one place: the fast send path.

The fan-out builds each frame once for every client (``peer.wire``). uvicorn's own
``send`` would frame the text again for every client (encode, build the frame, join,
write), so when nothing else is pending for a client the peer writes the ready frame
straight to the socket's transport, the way ``websockets.broadcast`` writes to each
connection. That needs four private attributes of uvicorn's websockets-sansio protocol
(``REQUIRED``): the asyncio ``transport``, the sans-I/O ``conn`` (its ``state``), the
``writable`` event that flow control clears while the socket is backed up, and
``close_sent``. ``tests/test_transport.py`` checks each of them on the installed
uvicorn and that the fast path is taken against a real server, so a uvicorn release
that changes them fails loudly there instead of making the server silently slower;
``pyproject.toml`` bounds uvicorn to the releases that test has passed on.

Also here, for memory per idle connection (docs/performance.md): ``forget_handshake``,
which lets go of the handshake's request and response that uvicorn keeps on the
protocol but reads no more once the handshake is done (about 2 KB of headers), and
``LeanProtocol``, uvicorn's protocol with a one-reader inbox and a slotted flag in
place of the ``asyncio.Queue`` and ``asyncio.Event`` it makes for every connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

from websockets.datastructures import Headers
from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol,
    )
except ImportError:  # pragma: no cover - uvicorn without websockets
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

REQUIRED: Final = ("transport", "conn", "writable", "close_sent")
# Kept by ``handle_connect`` and read only by ``send`` while the handshake is not done.
HANDSHAKE: Final = ("request", "response")
_OPEN = State.OPEN
T = TypeVar("T")


def server_protocol(send: Callable[..., Any]) -> Any | None:
    """uvicorn's websockets-sansio protocol behind an ASGI ``send`` (the server's own,
    kept in the scope by ``server.app.keep_server_send``), if that is what it is."""
    proto = getattr(send, "__self__", None)
    if (
        WebSocketsSansIOProtocol is not None
        and isinstance(proto, WebSocketsSansIOProtocol)
        and all(hasattr(proto, a) for a in REQUIRED)
    ):
        return proto
    return None


def fast_writer(send: Callable[..., Any]) -> Callable[[], asyncio.Transport | None] | None:
    """A function that gives the transport to write ready frames to when nothing stands
    in the way (the socket is open, takes more, and no close was sent), else ``None``;
    ``None`` itself when ``send`` is not uvicorn's (another server: always ``send``)."""
    proto = server_protocol(send)
    if proto is None:
        return None

    def writer() -> asyncio.Transport | None:
        if proto.close_sent or not proto.writable.is_set():
            return None
        transport: asyncio.Transport = proto.transport
        if proto.conn.state is not _OPEN or transport.is_closing():
            return None
        return transport

    return writer


def forget_handshake(send: Callable[..., Any]) -> None:
    """Once uvicorn has sent the handshake's response (``handshake_complete``), drop the
    request and response it keeps on the protocol: nothing reads them after that."""
    proto = server_protocol(send)
    if proto is None or getattr(proto, "handshake_complete", False) is not True:
        return
    for name in HANDSHAKE:
        kept = getattr(proto, name, None)
        # The request stays referenced by the ``websockets`` parser's suspended frame
        # (a local of ``ServerProtocol.parse``) for the connection's life: emptying its
        # headers, which nothing reads after the handshake, is what frees them.
        headers = getattr(kept, "headers", None)
        if isinstance(headers, Headers):
            headers.clear()
        if kept is not None:
            setattr(proto, name, None)


class Inbox(Generic[T]):
    """What uvicorn's protocol uses of an ``asyncio.Queue`` (``put_nowait``, ``get``,
    ``empty``) for its one reader, the app's ``receive``: a list, and a future only
    while that reader waits, which ``put_nowait`` hands the item to directly. An idle
    ``asyncio.Queue`` holds three deques and an ``Event`` (~3 KB); this, two slots and
    an empty list."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiter: asyncio.Future[T] | None = None

    def put_nowait(self, item: T) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():  # a cancelled reader took nothing
            waiter.set_result(item)
        else:
            self._items.append(item)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def next(self) -> asyncio.Future[T]:
        """A future of the next item: done at once if one is here. There is one reader:
        a second ``next`` before the first is done replaces it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if self._items:
            future.set_result(self._items.pop(0))
        else:
            self._waiter = future
        return future

    async def get(self) -> T:
        return await self.next()


class Flag:
    """What uvicorn's protocol uses of an ``asyncio.Event`` (``set``, ``clear``,
    ``is_set``, ``wait``) for ``writable``, without the Event's deque of waiters:
    the waiters' list exists only while someone waits for a backed-up socket."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True  # uvicorn sets ``writable`` at once
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if self._waiters is not None and waiter in self._waiters:
                    self._waiters.remove(waiter)
        return True


if WebSocketsSansIOProtocol is not None:

    class LeanProtocol(WebSocketsSansIOProtocol):
        """uvicorn's websockets-sansio protocol, behaving the same, holding less per
        connection: its receive queue is an ``Inbox`` and ``writable`` a ``Flag``
        (``tests/test_transport.py`` checks that these are all uvicorn uses of them)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.queue = Inbox()  # type: ignore[assignment]
            self.writable = Flag()  # type: ignore[assignment]

        def receive(self) -> asyncio.Future[Any]:  # type: ignore[override]
            """uvicorn's ``receive`` (the next message; reading resumes once none is
            left), returning the inbox's future instead of being a coroutine: an idle
            connection waits in one future, not in two suspended coroutines."""
            inbox: Inbox[Any] = self.queue  # type: ignore[assignment]
            future = inbox.next()
            if self.read_paused and inbox.empty():
                self.read_paused = False
                self.transport.resume_reading()
            return future

    PROTOCOL: type[asyncio.Protocol] | str = LeanProtocol
else:  # pragma: no cover - uvicorn without websockets
    PROTOCOL = "websockets-sansio"
