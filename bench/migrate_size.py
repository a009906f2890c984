"""A SQLite store of a realistic size for timing ``scaleboard migrate``
(docs/scale-out.md): the demo network plus ``N`` operations spread over its forums,
written as rooms write them (turns of five, a snapshot every 500 ops of a forum).

    python -m bench.migrate_size /tmp/big.db 20000
    time scaleboard migrate --from /tmp/big.db --to postgresql://…
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path

from board import ops as o
from board.apply import Context, apply
from board.log import Accepted, Item
from board.model import Board
from server.demo import seed_demo
from server.storage import open_storage

TURN = 5
SNAPSHOT_EVERY = 500


def turn(board: Board, rng: random.Random, first: int) -> tuple[Board, list[Accepted]]:
    """``TURN`` operations on ``board``: new cards until it has 60, then mostly edits."""
    out: list[Accepted] = []
    for n in range(first, first + TURN):
        cards = [c for col in board.columns for c in col.card_ids]
        op: o.Op
        if len(cards) < 60 or rng.random() < 0.1:
            op = o.AddCard(column=board.columns[0].id, title=f"Card {n}", body="Some text " * 5)
        else:
            op = o.EditCard(card=rng.choice(cards), title=f"Edited {n}")
        ctx = Context(seq=board.seq + 1, at=time.time(), actor="Maya Chen")
        board, events = apply(board, op, ctx)
        item = Item(
            seq=ctx.seq, op_id=f"op-{n}", actor=ctx.actor, at=ctx.at, op=op, events=tuple(events)
        )
        out.append(Accepted(item, board))
    return board, out


async def make(path: Path, ops: int) -> None:
    storage = await open_storage(path)
    try:
        await seed_demo(storage.forums)
        boards: dict[str, Board] = {}
        for forum in await storage.forums.forums():
            loaded = await storage.log.load(forum.id)
            assert loaded is not None
            boards[forum.id] = loaded.board
        ids, rng, pending = list(boards), random.Random(1), []
        for done in range(0, ops, TURN):
            forum_id = ids[done // TURN % len(ids)]
            boards[forum_id], accepted = turn(boards[forum_id], rng, done)
            snapshot = (done // TURN // len(ids) + 1) % (SNAPSHOT_EVERY // TURN) == 0
            pending.append(storage.log.append(forum_id, accepted, time.time(), snapshot=snapshot))
            if len(pending) >= 200:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await storage.close()


if __name__ == "__main__":
    asyncio.run(make(Path(sys.argv[1]), int(sys.argv[2])))
