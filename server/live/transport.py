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

The receive side: uvicorn's protocol stops reading the socket after every message it
queues for the app and starts again once the app took it (two ``epoll_ctl`` calls and
the selector's bookkeeping per message: a few percent of a move's CPU). ``LiveProtocol``
stops reading only when ``READ_AHEAD`` messages wait unread, so a client sending at a
person's pace is never paused and one that floods the server still is, a few messages
later (the app's queue stays bounded as before).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from websockets.protocol import State

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol,
    )
except ImportError:  # pragma: no cover - uvicorn without websockets
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

REQUIRED: Final = ("transport", "conn", "writable", "close_sent")
READ_AHEAD: Final = 4  # messages queued for the app before reading stops
_OPEN = State.OPEN


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


if WebSocketsSansIOProtocol is not None:

    class LiveProtocol(WebSocketsSansIOProtocol):
        """uvicorn's websockets-sansio protocol, reading ahead up to ``READ_AHEAD``
        messages instead of pausing the socket after each one."""

        def send_receive_event_to_app(self) -> None:
            # The parent queues the message, then pauses reading unless ``read_paused``
            # says it is paused already: while few messages wait, let it think so.
            if self.read_paused or self.queue.qsize() + 1 >= READ_AHEAD:
                super().send_receive_event_to_app()
                return
            self.read_paused = True
            try:
                super().send_receive_event_to_app()
            finally:
                self.read_paused = False

    WS_PROTOCOL: Any = LiveProtocol
else:  # pragma: no cover - uvicorn without websockets
    WS_PROTOCOL = "websockets-sansio"
