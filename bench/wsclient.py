"""A second, independent load client: the ``websockets`` library's asyncio client.

``bench/load.py`` reads frames with a hand-written parser over raw asyncio transports so
that one process can keep up with 1,000 sockets; a figure that only such a client
produces would prove little. This client is the library's ordinary one: one
``websockets.asyncio.client.connect`` per person (compression off, as the servers'),
a task per connection reading every message as it arrives (``async for``), pings
answered by the library, each send awaited in a task of its own. It takes the same
options as ``bench.load`` and prints the same JSON lines; the scenario, the senders'
timing (Poisson or lockstep) and the accounting are ``bench.load.Run``'s, so the two
differ only in how bytes reach and leave the sockets. ``bench/crosscheck.py`` runs a
case with both and compares the server CPU per delivery they see.
"""

from __future__ import annotations

import asyncio
import resource
import sys
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.load import Run, parser


class LibClient:
    """One person's connection through the library: what ``Run`` needs of a client."""

    def __init__(self, ws: ClientConnection, on_text: Callable[[Any, bytes], None]) -> None:
        self.ws = ws
        self.on_text = on_text
        self.closed = False
        self.name = ""
        self.transport: Any = ws.transport
        self.sending: set[asyncio.Task[None]] = set()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if isinstance(message, str):
                    self.on_text(self, message.encode())
        except ConnectionClosed:
            pass
        finally:
            self.closed = True

    def send(self, text: str) -> None:
        if self.closed:
            return
        task = asyncio.get_running_loop().create_task(self._send(text))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def _send(self, text: str) -> None:
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            self.closed = True


class LibRun(Run):
    """``bench.load.Run`` with the library's client in place of the hand-written one."""

    async def connect(  # type: ignore[override]
        self, uri: str, small_buffer: bool = False, cookie: str = ""
    ) -> LibClient:
        headers = {"Cookie": f"sb_name={cookie}"} if cookie else None
        ws = await connect(
            uri,
            additional_headers=headers,
            compression=None,
            max_size=None,
            ping_interval=None,  # the servers ping; the library answers them
            open_timeout=30,
        )
        return LibClient(ws, self.on_text)


def main() -> None:
    args = parser().parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(LibRun(args).run())
    except KeyboardInterrupt:
        sys.exit(1)


if __name__ == "__main__":
    main()
