"""The contract of ``CadenceRecords`` (the sprint calendar and the guide's team metrics,
SPEC R69, R71) on every engine; and both move with ``scaleboard migrate``'s transfer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from board.team_metrics import TeamSprintMetrics
from server.storage import Storage
from server.storage.cadence import SprintSettings
from server.storage.sqlite import SqliteStorage


def _entry(team: str, sprint: int, happiness: int = 4, **kw: object) -> TeamSprintMetrics:
    return TeamSprintMetrics(
        team_id=team,
        sprint=sprint,
        happiness=happiness,
        forum_id="sos",
        recorded_by="Maya",
        recorded_at=100.0 + sprint,
        **kw,  # type: ignore[arg-type]
    )


async def test_the_calendar_is_one_row_replaced_by_each_setting(storage: Storage) -> None:
    """SPEC R69: no calendar stored until the admin sets one; setting it again replaces it."""
    assert await storage.cadence.sprint_settings() is None
    first = SprintSettings(14, dt.date(2026, 1, 5), 10.0, "admin")
    await storage.cadence.put_sprint_settings(first)
    assert await storage.cadence.sprint_settings() == first
    second = SprintSettings(10, dt.date(2026, 2, 2), 20.0, "admin")
    await storage.cadence.put_sprint_settings(second)
    assert await storage.cadence.sprint_settings() == second


async def test_one_entry_per_team_and_sprint_recording_again_replaces_it(
    storage: Storage,
) -> None:
    """SPEC R71: one entry per team per sprint; missing measures stay missing (None)."""
    assert await storage.cadence.team_metrics() == []
    a1 = _entry("checkout", 1, productivity=21.0, productivity_unit="story points")
    b1 = _entry("search", 1, happiness=2, quality=3.5, quality_unit="escaped defects")
    a2 = _entry("checkout", 2, value=2.25, value_unit="features released")
    for e in (a2, b1, a1):
        await storage.cadence.put_team_metrics(e)
    assert await storage.cadence.team_metrics() == [a1, b1, a2]
    again = _entry("checkout", 1, happiness=5, productivity=30.0, productivity_unit="points")
    await storage.cadence.put_team_metrics(again)
    assert await storage.cadence.team_metric("checkout", 1) == again
    assert await storage.cadence.team_metric("checkout", 9) is None
    got = await storage.cadence.team_metric("search", 1)
    assert got is not None and got.productivity is None and got.quality == 3.5
    assert len(await storage.cadence.team_metrics()) == 3


async def test_calendar_and_team_metrics_are_carried_by_the_transfer(
    storage: Storage, tmp_path: Path
) -> None:
    settings = SprintSettings(7, dt.date(2026, 3, 2), 5.0, "admin")
    await storage.cadence.put_sprint_settings(settings)
    entry = _entry("checkout", 3, productivity=8.5, productivity_unit="points")
    await storage.cadence.put_team_metrics(entry)
    counts = await storage.transfer.counts()
    assert counts["sprint_settings"] == 1 and counts["team_metrics"] == 1
    other = await SqliteStorage.open(tmp_path / "copy.db")
    try:
        await other.transfer.write_all(storage.transfer.read_all())
        assert await other.cadence.sprint_settings() == settings
        assert await other.cadence.team_metrics() == [entry]
    finally:
        await other.close()
