"""The PostgreSQL side of ``server.storage.log.ForumLog``: the same writes as SQLite
(``server/storage/writes.py``) through the engine's group commit and seq guard; a
board is rebuilt from its latest snapshot plus later ops."""

from __future__ import annotations

from typing import Final

import msgspec

from board import ops as o
from board.log import LoggedOp
from board.model import Board
from board.replay import ReplayError, board_after
from board.sync import REMEMBERED_OPS
from server.storage.decoding import LAST_SEQ, PHASE_PREFIX
from server.storage.log_writes import LogWrites
from server.storage.postgres import owners
from server.storage.postgres.engine import Engine, prefix_is
from server.storage.records import Loaded
from server.storage.writes import decode_board, logged

_OP_COLUMNS: Final = "seq, op_id, actor, at, op, by_person"
_phase_decoder = msgspec.json.Decoder(o.SetPhase)


class PostgresLog(LogWrites):
    """``ForumLog`` on one PostgreSQL database: ``LogWrites``, and the reads."""

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, owners)  # the module is the ``Owners``

    # -- reading ------------------------------------------------------------------

    async def load(self, forum_id: str) -> Loaded | None:
        fetch = self.engine.fetch
        snap = await fetch(
            "SELECT seq, board FROM snapshots WHERE forum_id=$1 ORDER BY seq DESC LIMIT 1",
            (forum_id,),
        )
        if not snap:
            return None
        board = decode_board(snap[0][1])
        rows = await fetch(
            f"SELECT {_OP_COLUMNS} FROM ops WHERE forum_id=$1 AND seq>$2 ORDER BY seq",
            (forum_id, board.seq),
        )
        board = board_after(board, [logged(r) for r in rows])
        recent = await fetch(
            "SELECT op_id, seq FROM ops WHERE forum_id=$1 AND op_id IS NOT NULL "
            "ORDER BY seq DESC LIMIT $2",
            (forum_id, REMEMBERED_OPS),
        )
        self.engine.guard(forum_id, board.seq)
        return Loaded(board=board, known_op_ids={r[0]: r[1] for r in reversed(recent)})

    async def board_at(self, forum_id: str, seq: int) -> Board:
        snap = await self.engine.fetch(
            "SELECT board FROM snapshots WHERE forum_id=$1 AND seq<=$2 ORDER BY seq DESC LIMIT 1",
            (forum_id, seq),
        )
        if not snap:
            raise LookupError(f"No stored board of this forum goes back to operation {seq}.")
        board = decode_board(snap[0][0])
        ops = await self.ops(forum_id, board.seq + 1, seq)
        try:
            return board_after(board, ops, end=seq)
        except ReplayError as e:
            if e.problem == "gap":
                raise LookupError(f"The operations before {seq} are not all stored here.") from None
            raise LookupError(f"The log of this forum does not replay: {e}") from None

    async def ops(self, forum_id: str, first: int, last: int) -> list[LoggedOp]:
        rows = await self.engine.fetch(
            f"SELECT {_OP_COLUMNS} FROM ops WHERE forum_id=$1 AND seq BETWEEN $2 AND $3 "
            "ORDER BY seq",
            (forum_id, first, last),
        )
        return [logged(r) for r in rows]

    async def op_count(self, forum_id: str) -> int:
        rows = await self.engine.fetch("SELECT count(*) FROM ops WHERE forum_id=$1", (forum_id,))
        return int(rows[0][0])

    async def phase_changes(
        self, forum_id: str, first: int, last: int | None
    ) -> list[tuple[float, o.SetPhase]]:
        rows = await self.engine.fetch(
            "SELECT at, op FROM ops WHERE forum_id=$1 AND seq BETWEEN $2 AND $3 "
            f"AND {prefix_is('op', PHASE_PREFIX)} ORDER BY seq",
            (forum_id, first, last if last is not None else LAST_SEQ),
        )
        return [(at, _phase_decoder.decode(op)) for at, op in rows]
