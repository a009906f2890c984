"""A graceful stop (SIGTERM or Ctrl-C): every ack that is due, then close 1012, then exit 0.

uvicorn's own shutdown closes every websocket with 1012 at once and only then runs the
app's lifespan shutdown, where the rooms flush: an op committed in between was never
acknowledged to its sender, and a client whose socket was torn down mid-frame saw 1006.
``Server`` stops taking connections, then lets the rooms stop (``Rooms.stop``: decide
what is queued, wait until it is durable, send every ack that is due, close each client
with 1012 after all it was sent; SPEC R9a) while the sockets are still open, and only
then hands over to uvicorn's shutdown (connections, then the lifespan: snapshots, the
store). ``serve`` also keeps the stop's exit status 0: uvicorn raises the signal it
stopped for again once it is done, and SIGTERM's default action would end with 143.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from types import FrameType
from typing import Final

import uvicorn
from litestar import Litestar

from server.web.deps import services_of

log = logging.getLogger("scaleboard.live")

CLOSE_RESTART: Final = 1012
# The whole graceful stop's bound, for the rooms and again for uvicorn's connections: a
# slow reader gets this long to take its last acks (R9a); a 5 s bound of its own let
# uvicorn close it first, committed ops unacked, on a loaded machine.
GRACEFUL_SECONDS: Final = 15
RESTART_REASON: Final = "server restarting"


class Server(uvicorn.Server):
    """uvicorn's server, with the rooms stopped before any connection is closed."""

    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while the rooms finish
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                await services_of(self.app).rooms.stop(CLOSE_RESTART, RESTART_REASON)
        except TimeoutError:
            log.error("the rooms did not stop in time; closing the connections anyway")
        except Exception:
            log.exception("stopping the rooms failed; closing the connections anyway")
        await super().shutdown(sockets)


def _stopped(sig: int, frame: FrameType | None) -> None:
    """SIGTERM after the graceful stop (uvicorn raises it again): nothing left to do."""


def serve(config: uvicorn.Config, app: Litestar) -> None:
    """Run until SIGTERM or Ctrl-C, stop gracefully and return (the caller exits 0)."""
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        # uvicorn re-raises Ctrl-C once its graceful shutdown is done: not a crash.
        with contextlib.suppress(KeyboardInterrupt):
            Server(config, app).run()
    finally:
        signal.signal(signal.SIGTERM, previous)
