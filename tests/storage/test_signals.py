"""The contract of ``Storage.signals`` (docs/scale-out.md#signals): a signal published
on a store is heard by every listening process of that store — on PostgreSQL another
``Storage`` on the same database stands for another process — with its payload; a
store in another schema hears nothing; a lost listening connection comes back and
says so (``on_gap``), and signals are heard again after it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.storage import Storage
from server.storage.postgres import PostgresStorage
from server.storage.postgres.signals import PostgresSignals
from server.storage.signals import ACCESS, ADMIN, MAIL
from tests.pg import Schemas, admin
from tests.storage.conftest import Open


class Heard:
    """What one store's listener heard, in order."""

    def __init__(self, storage: Storage) -> None:
        self.items: list[tuple[str, str]] = []
        self.gaps = 0
        self.changed = asyncio.Event()
        for channel in (ACCESS, ADMIN, MAIL):
            storage.signals.listen(channel, lambda p, c=channel: self._add(c, p))
        storage.signals.on_gap(self._gap)

    def _add(self, channel: str, payload: str) -> None:
        self.items.append((channel, payload))
        self.changed.set()

    def _gap(self) -> None:
        self.gaps += 1
        self.changed.set()

    async def until(self, count: int, timeout: float = 5.0) -> list[tuple[str, str]]:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.items


async def test_a_signal_reaches_every_listening_process(engine: Open, tmp_path: Path) -> None:
    sender = await engine(tmp_path)
    other = await engine(tmp_path)  # the same store: another process on PostgreSQL
    try:
        heard_here, heard_there = Heard(sender), Heard(other)
        await sender.signals.start()
        await other.signals.start()
        await sender.signals.publish(ACCESS, "forum-1")
        await sender.signals.publish(MAIL, "forum-2")
        await sender.signals.publish(ADMIN)
        expected = [(ACCESS, "forum-1"), (MAIL, "forum-2"), (ADMIN, "")]
        assert await heard_here.until(3) == expected  # a process hears its own signals
        if sender.signals.shared:
            assert await heard_there.until(3) == expected
        else:  # SQLite: one server process; another process looks at the store itself
            await asyncio.sleep(0.1)
            assert heard_there.items == []
    finally:
        await sender.close()
        await other.close()


async def test_bad_signals_are_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="unknown signal channel"):
        await storage.signals.publish("scaleboard_nothing", "x")
    with pytest.raises(ValueError, match="over 4000 bytes"):
        await storage.signals.publish(ACCESS, "x" * 4001)
    with pytest.raises(ValueError, match="unknown signal channel"):
        storage.signals.listen("other", lambda _: None)


async def test_a_failing_handler_does_not_silence_the_others(storage: Storage) -> None:
    def broken(_: str) -> None:
        raise RuntimeError("a bug in one handler")

    storage.signals.listen(ACCESS, broken)
    heard = Heard(storage)
    await storage.signals.start()
    await storage.signals.publish(ACCESS, "f")
    assert await heard.until(1) == [(ACCESS, "f")]


async def test_stores_in_two_schemas_do_not_hear_each_other(tmp_path: Path) -> None:
    schemas = Schemas()
    one = await PostgresStorage.open(await schemas.url(tmp_path / "one"))
    two = await PostgresStorage.open(await schemas.url(tmp_path / "two"))
    try:
        heard_one, heard_two = Heard(one), Heard(two)
        await one.signals.start()
        await two.signals.start()
        await two.signals.publish(ACCESS, "theirs")
        await one.signals.publish(ACCESS, "ours")
        assert await heard_one.until(1) == [(ACCESS, "ours")]
        assert await heard_two.until(1) == [(ACCESS, "theirs")]
        await asyncio.sleep(0.2)
        assert heard_one.items == [(ACCESS, "ours")]
    finally:
        await one.close()
        await two.close()
        await schemas.drop()


async def test_a_lost_listener_comes_back_and_reports_the_gap(tmp_path: Path) -> None:
    schemas = Schemas()
    store = await PostgresStorage.open(await schemas.url(tmp_path))
    try:
        heard = Heard(store)
        await store.signals.start()
        signals = store.signals
        assert isinstance(signals, PostgresSignals)
        conn = await admin()
        try:  # the database drops the listening connection (a restart would too)
            pid = signals._conn.get_server_pid() if signals._conn else None
            assert pid is not None
            await conn.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await conn.close()
        async with asyncio.timeout(5):
            while heard.gaps == 0:
                heard.changed.clear()
                await heard.changed.wait()
        assert signals.gaps == 1
        await store.signals.publish(MAIL, "after")  # heard on the new connection
        assert await heard.until(1) == [(MAIL, "after")]
    finally:
        await store.close()
        await schemas.drop()
