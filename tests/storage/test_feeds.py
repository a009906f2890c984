"""The contract of ``FeedRecords`` (calendar feeds), on every engine; and a feed moves
with ``scaleboard migrate``'s transfer."""

from __future__ import annotations

from pathlib import Path

from server.storage import Storage
from server.storage.feeds import FeedRecord
from server.storage.sqlite import SqliteStorage


async def test_a_feed_is_found_by_subject_and_by_hash(storage: Storage) -> None:
    assert await storage.feeds.feed("forum", "sos-a") is None
    made = FeedRecord("forum", "sos-a", 1, "a" * 64, 10.0)
    await storage.feeds.put_feed(made)
    grants = [("sos-a", "participant", "f1ngerpr1nt"), ("x", "viewer", "0ther")]
    person = FeedRecord("person", "pKEY", 1, "b" * 64, 11.0, owner="Ana", grants=grants)
    await storage.feeds.put_feed(person)
    assert await storage.feeds.feed("forum", "sos-a") == made
    assert await storage.feeds.feed_by_hash("a" * 64) == made
    found = await storage.feeds.feed_by_hash("b" * 64)
    assert found == person and found.grants == grants
    admin = FeedRecord("person", "pADMIN", 1, "c" * 64, 12.0, owner="Bo", admin_mark="m4rk")
    await storage.feeds.put_feed(admin)
    assert await storage.feeds.feed("person", "pADMIN") == admin
    assert await storage.feeds.feed_by_hash("nope") is None


async def test_rotation_replaces_the_old_hash(storage: Storage) -> None:
    await storage.feeds.put_feed(FeedRecord("forum", "sos-a", 1, "a" * 64, 10.0))
    await storage.feeds.put_feed(FeedRecord("forum", "sos-a", 2, "d" * 64, 20.0))
    assert await storage.feeds.feed_by_hash("a" * 64) is None
    now = await storage.feeds.feed("forum", "sos-a")
    assert now is not None and (now.generation, now.token_hash) == (2, "d" * 64)


async def test_feeds_are_carried_by_the_transfer(storage: Storage, tmp_path: Path) -> None:
    made = FeedRecord("person", "pK", 3, "e" * 64, 5.0, "Ana", [("f1", "viewer", "m")], "a")
    await storage.feeds.put_feed(made)
    assert (await storage.transfer.counts())["feeds"] == 1
    other = await SqliteStorage.open(tmp_path / "copy.db")
    try:
        await other.transfer.write_all(storage.transfer.read_all())
        assert await other.feeds.feed_by_hash("e" * 64) == made
    finally:
        await other.close()
