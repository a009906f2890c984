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
