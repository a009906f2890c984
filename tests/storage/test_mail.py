"""The contract of mail (``Storage.mail``, SPEC R18a): a mail row is written in the
transaction of the item that sent it, marked delivered in the transaction that applies
it on its forum (op id ``mail:{id}``), and a mail that was not applied is settled, with
its reply, once; every write fenced by the owner epoch like an append."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from board import ops as o
from board import ops_standards as so
from board.mail import Mail, mail_op_id, refused_reply
from server.storage import NotOwner, Storage
from server.storage.postgres import PostgresStorage
from server.storage.postgres.schema import MIGRATIONS
from server.storage.sqlite import SqliteStorage
from server.storage.sqlite.schema import SCHEMA
from tests.pg import Schemas
from tests.storage.plays import Play

LEASE = 30.0


class Pair:
    """A Scrum of Scrums and its Executive Action Team, written as rooms write."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.sos = Play("sos", "sos", "SoS A")
        self.eat = Play("eat", "eat", "EAT")

    async def create(self) -> None:
        for play in (self.sos, self.eat):
            await self.storage.forums.create(play.first, play.at)
            await self.storage.log.load(play.forum_id)

    async def escalated(self, title: str = "No test env") -> str:
        """Add an impediment on the SoS and escalate it (one append); its card id."""
        added = self.sos.do(o.AddCard(column="needs-eat", title=title))
        card = added.item.events[0].card.id  # type: ignore[union-attr]
        esc = o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat")
        self.sos.do(esc, actor="Sam")
        await self.storage.log.append("sos", self.sos.accepted[-2:], self.sos.at)
        return str(card)


async def test_an_escalation_writes_its_mail_with_it(storage: Storage) -> None:  # SPEC R18a
    pair = Pair(storage)
    await pair.create()
    assert await storage.mail.waiting() == []
    card = await pair.escalated()
    [mail] = await storage.mail.pending("eat")
    assert (mail.to_forum, mail.from_forum, mail.actor) == ("eat", "sos", "Sam")
    assert isinstance(mail.op, o.ReceiveEscalation) and mail.op.from_card == card
    assert mail.op.title == "No test env" and mail.made == pair.sos.at
    assert mail.settled is None and mail.outcome is None
    assert await storage.mail.pending("sos") == []
    [waiting] = await storage.mail.waiting()
    assert (waiting.forum_id, waiting.owner) == ("eat", None)  # nobody holds it
    await storage.log.claim("eat", "P1", LEASE)
    assert [(w.forum_id, w.owner) for w in await storage.mail.waiting()] == [("eat", "P1")]


async def test_applying_a_mail_marks_it_delivered_with_the_op(storage: Storage) -> None:
    pair = Pair(storage)  # SPEC R18a
    await pair.create()
    card = await pair.escalated()
    [mail] = await storage.mail.pending("eat")
    received = pair.eat.do(mail.op, op_id=mail_op_id(mail.id), actor=mail.actor)
    await storage.log.append("eat", [received], pair.eat.at)
    assert await storage.mail.pending("eat") == []
    done = await storage.mail.get(mail.id)
    assert done is not None and (done.settled, done.outcome) == (pair.eat.at, "delivered")
    # ... and in the same transaction the EAT's answer went to the SoS: the link.
    [reply] = await storage.mail.pending("sos")
    assert reply.from_forum == "eat" and reply.id > mail.id
    assert reply.op == o.EscalationStatus(
        card=card, status="escalated", label="Escalated", target_card="c1"
    )
    assert [w.forum_id for w in await storage.mail.waiting()] == ["sos"]
    loaded = await storage.log.load("eat")
    assert loaded is not None and loaded.known_op_ids[mail_op_id(mail.id)] == 1


async def test_an_op_under_a_mail_id_that_is_no_mail_delivers_nothing(storage: Storage) -> None:
    pair = Pair(storage)  # SPEC R18a
    await pair.create()
    await pair.escalated()
    [mail] = await storage.mail.pending("eat")
    other = pair.eat.do(o.AddCard(column="escalated", title="own"), op_id=mail_op_id(mail.id))
    await storage.log.append("eat", [other], pair.eat.at)
    assert [m.id for m in await storage.mail.pending("eat")] == [mail.id]


async def test_a_refused_mail_is_settled_with_its_reply_once(storage: Storage) -> None:
    pair = Pair(storage)  # SPEC R18a
    await pair.create()
    card = await pair.escalated()
    [mail] = await storage.mail.pending("eat")
    assert isinstance(mail.op, o.ReceiveEscalation)
    reply = refused_reply(mail.op, "The board is full.")
    for _ in range(2):  # a second settle (a resend) writes nothing more
        await storage.mail.settle(mail, "refused: The board is full.", 5.0, reply=reply)
    settled = await storage.mail.get(mail.id)
    assert settled is not None
    assert (settled.settled, settled.outcome) == (5.0, "refused: The board is full.")
    assert await storage.mail.pending("eat") == []
    [back] = await storage.mail.pending("sos")
    assert (back.from_forum, back.actor, back.made) == ("eat", "Sam", 5.0)
    assert back.op == o.EscalationStatus(
        card=card, status="failed", label="Not escalated", note="The board is full.", follow=True
    )  # refused: the card leaves the column it waited in (R50)
    # Settling without a reply (a status that changed nothing).
    await storage.mail.settle(back, "unchanged", 6.0)
    assert await storage.mail.pending("sos") == [] and await storage.mail.waiting() == []


async def test_settling_is_fenced_by_the_owner_epoch(storage: Storage) -> None:
    pair = Pair(storage)  # SPEC R18a
    await pair.create()
    await pair.escalated()
    [mail] = await storage.mail.pending("eat")
    old = await storage.log.claim("eat", "P1", 0.01)
    assert old is not None
    await storage.log.release("eat", "P1", old)
    assert await storage.log.claim("eat", "P2", LEASE) == old + 1
    with pytest.raises(NotOwner):
        await storage.mail.settle(mail, "unchanged", 5.0, epoch=old)
    assert [m.id for m in await storage.mail.pending("eat")] == [mail.id]
    await storage.mail.settle(mail, "unchanged", 5.0, epoch=old + 1)
    assert await storage.mail.pending("eat") == []


async def test_mail_to_one_forum_comes_in_order(storage: Storage) -> None:
    pair = Pair(storage)  # SPEC R18a
    await pair.create()
    cards = [await pair.escalated(f"Card {i}") for i in range(5)]
    pending = await storage.mail.pending("eat")
    assert [m.op.from_card for m in pending] == cards  # type: ignore[union-attr]
    assert [m.id for m in pending] == sorted(m.id for m in pending)
    assert len(await storage.mail.pending("eat", limit=2)) == 2


async def test_the_mail_ids_go_on_after_a_migrate(tmp_path: Path) -> None:
    """``scaleboard migrate`` copies mail with its ids; the next mail on the target gets
    the next id, not one already taken (PostgreSQL's sequence is set after the copy),
    either way."""
    schemas = Schemas()
    stores: list[Storage] = []
    try:
        source = await SqliteStorage.open(tmp_path / "source.db")
        stores.append(source)
        pair = Pair(source)
        await pair.create()
        for i in range(3):
            await pair.escalated(f"Card {i}")
        ids = [m.id for m in await source.mail.pending("eat")]
        target = await PostgresStorage.open(await schemas.url(tmp_path / "pg"))
        stores.append(target)
        back = await SqliteStorage.open(tmp_path / "back.db")
        stores.append(back)
        for into, came_from in ((target, source), (back, target)):
            await into.transfer.write_all(came_from.transfer.read_all())
            assert [m.id for m in await into.mail.pending("eat")] == ids
            await into.log.load("sos")
            pair.storage = into
            await pair.escalated("After the move")
            later = [m.id for m in await into.mail.pending("eat")]
            assert later[:-1] == ids and later[-1] > max(ids), later
            ids = later
    finally:
        for s in stores:
            await s.close()
        await schemas.drop()


async def test_a_postgresql_database_of_version_2_gets_the_mail_table(tmp_path: Path) -> None:
    schemas = Schemas()
    try:
        url = await schemas.url(tmp_path)
        conn = await asyncpg.connect(url)
        try:
            for step in MIGRATIONS[:2]:
                await conn.execute(step)
            await conn.execute(
                "CREATE TABLE schema_version(version integer PRIMARY KEY, "
                "applied_at double precision NOT NULL);"
                "INSERT INTO schema_version VALUES (1, 0), (2, 0);"
            )
        finally:
            await conn.close()
        storage = await PostgresStorage.open(url)
        try:
            pair = Pair(storage)
            await pair.create()
            await pair.escalated()
            assert len(await storage.mail.pending("eat")) == 1
        finally:
            await storage.close()
    finally:
        await schemas.drop()


async def test_a_sqlite_file_made_before_mail_gets_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(SCHEMA)
        conn.execute("DROP TABLE mail")  # the tables as they were before mail
    storage = await SqliteStorage.open(path)
    try:
        pair = Pair(storage)
        await pair.create()
        await pair.escalated()
        assert len(await storage.mail.pending("eat")) == 1
    finally:
        await storage.close()


def test_a_reply_is_mail_from_the_forum_that_refused() -> None:  # SPEC R18a
    receive = o.ReceiveEscalation(
        from_forum="sos", from_name="S", from_kind="sos", from_card="c1",
        column="escalated", kind="impediment", title="t",
    )  # fmt: skip
    assert refused_reply(receive, "no").to_forum == "sos"
    assert isinstance(refused_reply(receive, "no"), Mail)


async def test_the_sweeps_query_reads_only_the_index_of_mail_to_deliver(tmp_path: Path) -> None:
    """What every process runs every ``mail_sweep_seconds`` reads the partial index of
    the mail still to deliver, not the table (SQLite's plan; PostgreSQL's with table
    scans priced out, as they are once the table is large)."""
    from server.storage.postgres.mail import WAITING as PGWAITING
    from server.storage.sqlite.mail import WAITING as SQLITEWAITING

    storage = await SqliteStorage.open(tmp_path / "plan.db")
    await storage.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "plan.db")) as conn:
        plan = " ".join(str(r) for r in conn.execute(f"EXPLAIN QUERY PLAN {SQLITEWAITING}", (0,)))
    assert "SCAN mail USING INDEX mail_pending" in plan, plan  # only mail to deliver
    schemas = Schemas()
    try:
        url = await schemas.url(tmp_path)
        await (await PostgresStorage.open(url)).close()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET enable_seqscan = off")
            plan = " ".join(r[0] for r in await conn.fetch(f"EXPLAIN {PGWAITING}"))
        finally:
            await conn.close()
        assert "mail_pending" in plan, plan
    finally:
        await schemas.drop()


async def test_an_adopted_standard_writes_a_notice_per_forum(storage: Storage) -> None:
    # SPEC R18a, R67: an adoption's notices are mail, written with it, on every engine
    pair = Pair(storage)
    await pair.create()
    added = pair.eat.do(o.AddCard(column="escalated", title="Trunk", kind="experiment"))
    card = added.item.events[0].card.id  # type: ignore[union-attr]
    pair.eat.do(o.StartSession())
    adopt = so.AdoptStandard(card=card, text="Trunk daily", applies="forums", forums=("sos",))
    pair.eat.do(adopt, actor="Dana")
    await storage.log.append("eat", pair.eat.accepted[-3:], pair.eat.at)
    [mail] = await storage.mail.pending("sos")
    assert (mail.to_forum, mail.from_forum, mail.actor) == ("sos", "eat", "Dana")
    assert isinstance(mail.op, so.StandardNotice) and mail.op.standard.text == "Trunk daily"
    assert mail.op.standard.forums == ("sos",)
