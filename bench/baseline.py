"""The baseline: a bare websockets server that relays every message to its room.

No state, no storage, no validation: each message received on ``/forums/<x>/live`` is
sent to every client connected to the same path with ``websockets.broadcast()``. It is
the practical limit of this stack for the benchmark to be compared with.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
from collections import defaultdict

import websockets
from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[str, set[ServerConnection]] = defaultdict(set)


async def relay(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request else "/"
    room = rooms[path]
    room.add(ws)
    try:
        async for message in ws:
            broadcast(room, message)
    except websockets.ConnectionClosed:
        pass
    finally:
        room.discard(ws)


async def main(port: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    async with serve(relay, "127.0.0.1", port, compression=None, max_size=2**16) as server:
        print("ready", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    asyncio.run(main(p.parse_args().port))
