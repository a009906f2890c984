"""One websocket client of a room, and how frames reach it without waiting on it.

The room fans a frame out by calling ``Peer.deliver`` for every client. ``deliver``
starts the ASGI ``send`` coroutine and runs it to its first suspension point right
away: with uvicorn, a send to a socket whose buffer has room finishes synchronously,
so the common case costs one send and no task switch (what ``websockets.broadcast``
does for a bare server). Only when the socket is backed up does the send suspend; the
frame and the ones after it then wait in a bounded backlog drained by a task of
their own. A client whose backlog overflows is dropped (SPEC R15); nobody else
waits for it. A text frame built once for everyone (``wire``) skips ``send`` and goes
straight to the socket when nothing is pending (``transport.py``, the one module that
knows uvicorn's internals).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from server.live.transport import fast_writer

log = logging.getLogger("scaleboard.peer")

Message = dict[str, Any]
Send = Callable[[Message], Coroutine[Any, Any, None]]

WIRE = "scaleboard.wire"  # key of a message's ready-made websocket frame (see ``wire``)


def wire(payload: bytes) -> bytes:
    """``payload`` as one unmasked text frame, the bytes a server puts on the socket.

    Server frames are not masked, so one frame serves every client of a forum.
    """
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 1 << 16:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


def text_message(frame: bytes) -> Message:
    """The ASGI message for one text frame, with the frame itself ready for the fast path;
    build it once, deliver it to everyone."""
    return {"type": "websocket.send", "text": frame.decode(), WIRE: wire(frame)}


class _Resume:
    """Await a coroutine that was already started by hand and is suspended on ``pending``."""

    __slots__ = ("coro", "pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self.coro = coro
        self.pending = pending

    def __await__(self) -> Generator[Any, None, None]:
        pending = self.pending
        while True:
            try:
                yield pending
            except BaseException as exc:  # cancellation: hand it to the coroutine
                try:
                    pending = self.coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                pending = self.coro.send(None)
            except StopIteration:
                return


class Peer:
    """A connected client: who it is and a non-blocking way to send it frames."""

    __slots__ = (
        "_drain",
        "_fast",
        "_send",
        "backlog",
        "backlog_bytes",
        "closed",
        "dropped",
        "hue",
        "id",
        "max_backlog",
        "max_backlog_bytes",
        "name",
        "on_drop",
        "person",
        "role",
        "takes_part",
    )

    def __init__(
        self,
        peer_id: str,
        name: str,
        hue: int,
        send: Send,
        *,
        max_backlog: int,
        max_backlog_bytes: int = 1 << 20,
        on_drop: Callable[[Peer], None],
        role: str = "facilitator",
        takes_part: bool = True,
        person: str = "",
    ) -> None:
        self.id = peer_id
        self.name = name
        # The person key (SPEC R40): whose dots, hidden cards and holds these are; never
        # sent to any client. "" (tests, old callers): the display name is the key.
        self.person = person or name
        self.hue = hue
        self.role = role  # what the room renders for it (board.access.Role)
        self.takes_part = takes_part  # False: a screen (the projector), not a person
        self._send = send
        self._fast = fast_writer(send)  # None: not uvicorn's send (transport.py)
        self.max_backlog = max_backlog
        self.max_backlog_bytes = max_backlog_bytes
        self.backlog_bytes = 0  # text queued in ``backlog`` (frames are few but may be big)
        self.on_drop = on_drop
        self.backlog: deque[Message] | None = None  # None: nothing waiting
        self.closed = False
        self.dropped = False
        self._drain: asyncio.Task[None] | None = None

    def deliver(self, message: Message) -> None:
        """Send ``message`` now if the socket takes it, else queue it (bounded)."""
        if self.closed:
            return
        backlog = self.backlog
        if backlog is not None:
            size = len(message.get("text", ""))
            self.backlog_bytes += size
            if len(backlog) >= self.max_backlog or self.backlog_bytes > self.max_backlog_bytes:
                self.drop("too far behind")
                return
            backlog.append(message)
            return
        data = message.get(WIRE)
        fast = self._fast
        if data is not None and fast is not None:
            transport = fast()  # None: something stands in the way; use ``send``
            if transport is not None:
                transport.write(data)
                return
        coro = self._send(message)
        try:
            pending = coro.send(None)  # type: ignore[attr-defined]
        except StopIteration:
            return
        except Exception:
            self.close()
            return
        self.backlog = deque()
        self.backlog_bytes = 0
        self._drain = asyncio.get_running_loop().create_task(self._finish(coro, pending))

    def deliver_all(self, messages: list[Message]) -> None:
        """Several frames at once: one write to the socket when the fast path is open."""
        fast = self._fast
        if len(messages) > 1 and self.backlog is None and not self.closed and fast is not None:
            transport = fast()
            if transport is not None:
                transport.write(b"".join([m[WIRE] for m in messages]))
                return
        for message in messages:
            self.deliver(message)

    async def _finish(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        try:
            await _Resume(coro, pending)
            backlog = self.backlog
            while backlog:
                message = backlog.popleft()
                self.backlog_bytes -= len(message.get("text", ""))
                await self._send(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.close()
        finally:
            if not self.closed:
                self.backlog = None

    async def end(self, code: int, reason: str, wait: float | None = 5) -> None:
        """Close the socket after every frame already given to ``deliver`` went out,
        waiting ``wait`` seconds at most for a slow reader (``None``: the caller bounds
        it, as the graceful stop does, ``shutdown.py``)."""
        self.deliver({"type": "websocket.close", "code": code, "reason": reason})
        drain = self._drain
        if drain is not None and not drain.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(drain), wait)
        self.closed = True

    def drop(self, reason: str) -> None:
        """Stop sending to this client and tell its connection to end."""
        if self.closed:
            return
        log.info("dropping %s (%s): %s", self.id, self.name, reason)
        self.dropped = True
        self.close()
        self.on_drop(self)

    def close(self) -> None:
        self.closed = True
        self.backlog = None
        if self._drain is not None and not self._drain.done():
            self._drain.cancel()
