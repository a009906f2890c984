"""One websocket client of a room, and how frames reach it without waiting on it.

The room fans a frame out by calling ``Peer.deliver`` for every client. ``deliver``
starts the ASGI ``send`` coroutine and runs it to its first suspension point right
away: with uvicorn, a send to a socket whose buffer has room finishes synchronously,
so the common case costs one send and no task switch (what ``websockets.broadcast``
does for a bare server). Only when the socket is backed up does the send suspend; the
frame and the ones after it then wait in a bounded backlog drained by a task of
their own. A client whose backlog overflows is dropped (SPEC R15); nobody else
waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any

log = logging.getLogger("scaleboard.peer")

Message = dict[str, Any]
Send = Callable[[Message], Coroutine[Any, Any, None]]


def text_message(frame: bytes) -> Message:
    """The ASGI message for one text frame; build it once, deliver it to everyone."""
    return {"type": "websocket.send", "text": frame.decode()}


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
        "_send",
        "backlog",
        "closed",
        "dropped",
        "hue",
        "id",
        "max_backlog",
        "name",
        "on_drop",
    )

    def __init__(
        self,
        peer_id: str,
        name: str,
        hue: int,
        send: Send,
        *,
        max_backlog: int,
        on_drop: Callable[[Peer], None],
    ) -> None:
        self.id = peer_id
        self.name = name
        self.hue = hue
        self._send = send
        self.max_backlog = max_backlog
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
            if len(backlog) >= self.max_backlog:
                self.drop("too far behind")
                return
            backlog.append(message)
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
        self._drain = asyncio.get_running_loop().create_task(self._finish(coro, pending))

    async def _finish(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        try:
            await _Resume(coro, pending)
            backlog = self.backlog
            while backlog:
                await self._send(backlog.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.close()
        finally:
            if not self.closed:
                self.backlog = None

    async def end(self, code: int, reason: str) -> None:
        """Close the socket after every frame already given to ``deliver`` went out."""
        self.deliver({"type": "websocket.close", "code": code, "reason": reason})
        drain = self._drain
        if drain is not None and not drain.done():
            try:
                await asyncio.wait_for(asyncio.shield(drain), 5)
            except (TimeoutError, asyncio.CancelledError):
                pass
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
