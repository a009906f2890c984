"""MailBox: ops addressed to another forum (SPEC R18a), as stored.

A mail row is written by ``ForumLog.append`` in the transaction of the item that sent
it (``projections.mail_writes``) and marked delivered in the transaction that applies
it on its forum (op id ``mail:{id}``). What is left for this interface: reading the
mail still to deliver, which forums have some (with who holds them), and settling a
mail that was refused or changed nothing — with, for a refused ``receive_escalation``,
the reply in the same transaction. Each engine reads in its own SQL
(``sqlite/mail.py``, ``postgres/mail.py``); the settling write is shared here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final, Protocol

import msgspec

from board.mail import Mail, MailOp
from board.ops import EscalationStatus, Op, ReceiveEscalation
from board.ops_standards import StandardNotice
from server.storage.group import GroupCommit
from server.storage.projections import mail_new_write
from server.storage.stmt import Stmt, Write

DELIVERED: Final = "delivered"
COLUMNS: Final = "id, to_forum, from_forum, op, actor, made, settled, outcome"

_op_decoder = msgspec.json.Decoder(Op)


class MailRow(msgspec.Struct, frozen=True):
    """One stored mail: ``settled`` is when it was delivered or settled (``None``: still
    to deliver), ``outcome`` what became of it (``delivered``, ``unchanged``, or the
    forum's refusal)."""

    id: int
    to_forum: str
    from_forum: str
    op: MailOp
    actor: str
    made: float
    settled: float | None = None
    outcome: str | None = None


class Waiting(msgspec.Struct, frozen=True):
    """A forum with mail to deliver, and the process holding it (``None``: nobody, or
    its lease ran out)."""

    forum_id: str
    owner: str | None


def mail_row(row: Sequence[Any]) -> MailRow:
    """A ``MailRow`` from the columns ``COLUMNS``."""
    id_, to_forum, from_forum, op, actor, made, settled, outcome = row
    decoded = _op_decoder.decode(op)
    assert isinstance(decoded, ReceiveEscalation | EscalationStatus | StandardNotice)  # mail
    return MailRow(int(id_), to_forum, from_forum, decoded, actor, made, settled, outcome)


class MailBox(Protocol):
    """Mail to deliver, and settling it."""

    async def pending(self, forum_id: str, limit: int = 200) -> list[MailRow]:
        """The forum's mail still to deliver, oldest first, at most ``limit``."""
        ...

    async def waiting(self) -> list[Waiting]:
        """Every forum with mail to deliver (one indexed query: the sweep's)."""
        ...

    async def get(self, mail_id: int) -> MailRow | None:
        """One mail, delivered or not."""
        ...

    def settle(
        self,
        mail: MailRow,
        outcome: str,
        at: float,
        *,
        reply: Mail | None = None,
        epoch: int | None = None,
    ) -> asyncio.Future[None]:
        """Settle a mail its forum did not apply (refused, or it changed nothing) with
        ``outcome``, and write ``reply`` (from that forum) in the same transaction; both
        only if the mail is still to deliver, so settling twice writes one reply.
        Fenced by ``epoch`` (the owner epoch of the mail's forum) as an append is."""
        ...


class MailWrites:
    """``MailBox.settle`` over an engine's group commit (the same on every engine)."""

    def __init__(self, engine: GroupCommit) -> None:
        self.engine = engine

    def settle(
        self,
        mail: MailRow,
        outcome: str,
        at: float,
        *,
        reply: Mail | None = None,
        epoch: int | None = None,
    ) -> asyncio.Future[None]:
        writes: list[Write] = []
        if reply is not None:
            _, params = mail_new_write(mail.to_forum, reply, mail.actor, at)
            writes.append((Stmt.MAIL_REPLY, (*params, mail.id)))
        writes.append((Stmt.MAIL_SETTLE, (at, outcome, mail.id, mail.to_forum)))
        return self.engine.write(writes, forum_id=mail.to_forum, epoch=epoch)
