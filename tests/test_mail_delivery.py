"""Delivering mail between rooms (``server/live/mail.py``, SPEC R18a), driven in this
process: two ``Rooms`` with their ``Postman`` on one PostgreSQL database stand for two
server processes, each owning one forum. Mail for a forum the other one holds is left
to it and ``notify`` is called with the forum; that one's ``deliver_pending`` (what a
notification will call) applies it at once. The sweep is not running here unless a
test starts it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from board import ops as o
from board.model import new_board
from board.sync import Accepted, Refused
from server.config import TEMPLATES_DIR, Settings
from server.live.mail import Postman
from server.live.registry import Rooms
from server.storage import Storage
from server.storage.postgres import PostgresStorage
from server.web.render import Renderer
from tests.pg import Schemas
from tests.support import ROOT


class Process:
    """One store, its rooms and its postman, as one server process has them."""

    def __init__(self, storage: Storage, sweep: float = 600.0) -> None:
        settings = Settings(db="", demo=False, lease_seconds=30.0, mail_sweep_seconds=sweep)
        self.storage = storage
        self.rooms = Rooms(storage.log, settings, Renderer(TEMPLATES_DIR))
        self.mail = Postman(storage.mail, self.rooms, settings)
        self.told: list[str] = []
        self.mail.notify = self.told.append

    async def close(self) -> None:
        await self.mail.stop()
        await self.rooms.close()
        await self.storage.close()


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    schemas = Schemas()
    try:
        yield await schemas.url(tmp_path)
    finally:
        await schemas.drop()


@pytest.fixture
async def pair(url: str) -> AsyncIterator[tuple[Process, Process]]:
    first = Process(await PostgresStorage.open(url))
    second = Process(await PostgresStorage.open(url))
    await first.storage.forums.create(new_board("sos", "sos", "SoS A"), 1.0)
    await first.storage.forums.create(new_board("eat", "eat", "EAT"), 1.0)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def escalated(p: Process, title: str = "No test env") -> str:
    added = await p.rooms.submit("sos", o.AddCard(column="needs-eat", title=title), actor="Ann")
    assert isinstance(added, Accepted)
    card = f"c{added.item.seq}"
    sent = o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat")
    assert isinstance(await p.rooms.submit("sos", sent, actor="Ann"), Accepted)
    return card


async def test_mail_for_a_forum_held_elsewhere_is_left_to_its_owner(
    pair: tuple[Process, Process],
) -> None:  # SPEC R18a
    one, two = pair
    assert await one.rooms.get("sos") is not None  # the SoS lives in one
    assert await two.rooms.get("eat") is not None  # the EAT in two
    card = await escalated(one)
    await one.mail.deliver_pending("eat")  # one cannot: it tells two
    assert one.told[-1:] == ["eat"]
    assert "eat" not in one.rooms.live()
    assert len(await one.storage.mail.pending("eat")) == 1

    await two.mail.deliver_pending("eat")  # what two does when told
    eat = two.rooms.live()["eat"].sync.board
    [copy] = [c for c in eat.cards.values() if c.origin is not None]
    assert copy.origin is not None and copy.origin.card == card
    assert await two.storage.mail.pending("eat") == []
    assert two.told == ["sos"]  # its answer is for the SoS, which one holds

    await one.mail.deliver_pending("sos")
    sos = one.rooms.live()["sos"].sync.board
    link = sos.cards[card].sent_to
    assert link is not None and link.card == copy.id and link.status == "escalated"
    assert await one.storage.mail.waiting() == []

    # Delivering again changes nothing: the mail is delivered, a resend a duplicate.
    await two.mail.deliver_pending("eat")
    assert len([c for c in two.rooms.live()["eat"].sync.board.cards.values() if c.origin]) == 1


async def test_mail_for_a_forum_nobody_holds_is_claimed_and_delivered_here(
    pair: tuple[Process, Process],
) -> None:  # SPEC R18a
    one, _ = pair
    card = await escalated(one)  # the EAT is nobody's: one loads it and delivers
    board = await one.mail.wait_for(
        "sos", lambda b: bool((link := b.cards[card].sent_to) and link.card), 5.0
    )
    assert board is not None and "eat" in one.rooms.live()
    assert one.told == [] and await one.storage.mail.waiting() == []


async def test_the_sweep_delivers_what_was_left_waiting(
    pair: tuple[Process, Process], url: str
) -> None:  # SPEC R18a
    one, two = pair
    assert await two.rooms.get("eat") is not None
    card = await escalated(one)
    await one.mail.deliver_pending("eat")  # one's try is over: it told two (which missed it)
    assert "eat" in one.told and "eat" not in one.rooms.live()
    assert len(await one.storage.mail.pending("eat")) == 1
    three = Process(await PostgresStorage.open(url), sweep=0.05)
    try:
        await two.rooms.close()  # two stops: the EAT is nobody's now
        three.mail.start()
        deadline = asyncio.get_running_loop().time() + 5.0
        while await three.storage.mail.pending("eat"):  # three sweeps the EAT's mail
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        assert "eat" in three.rooms.live() and three.told == ["sos"]
        await one.mail.deliver_pending("sos")
        link = one.rooms.live()["sos"].sync.board.cards[card].sent_to
        assert link is not None and link.card
    finally:
        await three.close()


async def test_a_refused_mail_is_settled_and_answered(pair: tuple[Process, Process]) -> None:
    one, _ = pair  # SPEC R18a
    removed = await one.rooms.submit("eat", o.RemoveColumn(column="escalated"), actor="Eve")
    assert isinstance(removed, Accepted)
    card = await escalated(one)
    board = await one.mail.wait_for(
        "sos", lambda b: bool((link := b.cards[card].sent_to) and link.status == "failed"), 5.0
    )
    assert board is not None
    link = board.cards[card].sent_to
    assert link is not None and link.label == "Not escalated" and link.note
    assert await one.storage.mail.waiting() == []
    again = o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat")
    assert not isinstance(await one.rooms.submit("sos", again, actor="Ann"), Refused)


@pytest.mark.parametrize("value", ["0", "-1", "5000", "soon"])
def test_a_bad_mail_sweep_is_refused_with_a_reason(tmp_path: Path, value: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--db", str(tmp_path / "x.db"),
         "--mail-sweep", value],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and "--mail-sweep" in out.stderr, out.stderr
    assert not (tmp_path / "x.db").exists()
