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

Also here: ``forget_handshake``, which lets go of the handshake's request and response
that uvicorn keeps on the protocol but reads no more once the handshake is done (about
2 KB of headers per idle connection, docs/performance.md).
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
# Kept by ``handle_connect`` and read only by ``send`` while the handshake is not done.
HANDSHAKE: Final = ("request", "response")
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


def forget_handshake(send: Callable[..., Any]) -> None:
    """Once uvicorn has sent the handshake's response (``handshake_complete``), drop the
    request and response it keeps on the protocol: nothing reads them after that."""
    proto = server_protocol(send)
    if proto is None or getattr(proto, "handshake_complete", False) is not True:
        return
    for name in HANDSHAKE:
        if hasattr(proto, name):
            setattr(proto, name, None)
