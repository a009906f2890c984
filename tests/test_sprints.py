"""The sprint calendar's arithmetic (SPEC R69), the cadence guardrails (SPEC R70) and
the checking of a team's metrics (SPEC R71): pure functions, no server."""

from __future__ import annotations

import datetime as dt

import pytest

from board.cadence import metascrum_skipped, sos_missed_days, working_days
from board.sprints import BadCalendar, SprintCalendar, parse_calendar, utc_midnight
from board.team_metrics import BadMetrics, TeamSprintMetrics, check_entry

CAL = SprintCalendar(days=14, start=dt.date(2026, 1, 5))  # a Monday


def at(day: str, hour: int = 12, minute: int = 0, second: int = 0) -> float:
    d = dt.date.fromisoformat(day)
    return dt.datetime.combine(d, dt.time(hour, minute, second), dt.UTC).timestamp()


def test_sprints_are_numbered_from_the_start_by_whole_utc_days() -> None:
    """SPEC R69: sprint n covers days start + (n-1)*days … start + n*days - 1."""
    assert CAL.number_at(at("2026-01-05", 0)) == 1
    assert CAL.number_at(at("2026-01-18", 23, 59, 59)) == 1  # the last second of sprint 1
    assert CAL.number_at(at("2026-01-19", 0)) == 2  # the first second of sprint 2
    s14 = CAL.sprint(14)
    assert (s14.first_day, s14.last_day) == (dt.date(2026, 7, 6), dt.date(2026, 7, 19))
    assert s14.start == utc_midnight(dt.date(2026, 7, 6))
    assert s14.end == utc_midnight(dt.date(2026, 7, 20))
    assert s14.start in s14 and s14.end not in s14 and s14.label == "Sprint 14"
    assert CAL.label_at(at("2026-07-10")) == "Sprint 14"
    assert [s.number for s in CAL.between(-3, 2)] == [1, 2]  # never below sprint 1


def test_before_sprint_one_is_no_sprint() -> None:
    """SPEC R69: a moment before sprint 1 has number 0 or less, labelled as such."""
    assert CAL.number_at(at("2026-01-04", 23, 59, 59)) == 0
    assert CAL.number_at(at("2025-12-21")) == -1
    assert CAL.label_at(at("2026-01-01")) == "Before Sprint 1"


def test_sprints_follow_utc_not_the_local_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC R69: 23:30 UTC on a sprint's last day is in that sprint wherever the server
    runs (its local time is already the next day in Tokyo)."""
    import os
    import time

    last = at("2026-01-18", 23, 30)
    before = CAL.number_at(last)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    if hasattr(time, "tzset"):
        time.tzset()
    try:
        assert os.environ["TZ"] == "Asia/Tokyo"
        assert CAL.number_at(last) == before == 1
        assert CAL.number_at(last + 3600) == 2
    finally:
        monkeypatch.delenv("TZ")
        if hasattr(time, "tzset"):
            time.tzset()


def test_one_day_sprints_and_bad_calendars() -> None:
    """SPEC R69: 1 to 365 days; sprint 1 from 2000 to 2099; form text checked."""
    daily = SprintCalendar(days=1, start=dt.date(2026, 1, 1))
    assert daily.number_at(at("2026-01-03")) == 3
    for days in (0, 366, -1):
        with pytest.raises(BadCalendar, match="days"):
            SprintCalendar(days=days, start=dt.date(2026, 1, 1))
    with pytest.raises(BadCalendar, match="between"):
        SprintCalendar(days=14, start=dt.date(1999, 12, 31))
    assert parse_calendar(" 10 ", "2026-02-02") == SprintCalendar(10, dt.date(2026, 2, 2))
    with pytest.raises(BadCalendar, match="whole number"):
        parse_calendar("two weeks", "2026-02-02")
    with pytest.raises(BadCalendar, match="YYYY-MM-DD"):
        parse_calendar("14", "2026-02-30")
    with pytest.raises(BadCalendar, match="YYYY-MM-DD"):
        parse_calendar("14", "02/02/2026")


def test_a_metascrum_with_no_session_in_an_ended_sprint_is_flagged() -> None:
    """SPEC R70: sprints from the one the forum was made in to the last ended one."""
    made = at("2026-01-06")  # sprint 1
    sessions = [at("2026-01-07"), at("2026-02-03")]  # sprints 1 and 3
    now = at("2026-03-03")  # sprint 5, running: not judged yet
    flags = metascrum_skipped(CAL, "ms", "MetaScrum", made, sessions, now)
    assert [f.sprint for f in flags] == [4, 2]  # newest first
    assert flags[0].rule == "metascrum_skipped" and "Sprint 4" in flags[0].reason
    assert metascrum_skipped(CAL, "ms", "MetaScrum", at("2026-02-17"), [], now) == [
        f for f in metascrum_skipped(CAL, "ms", "MetaScrum", made, [], now) if f.sprint == 4
    ]  # made in sprint 4: sprints before it are not its


def test_an_sos_that_did_not_meet_on_a_working_day_is_flagged() -> None:
    """SPEC R70: Monday-Friday days that are over, from the day after it was made; by
    the UTC date each session started; one flag per sprint listing the days."""
    made = at("2026-01-16")  # a Friday
    met = [at("2026-01-19", 9), at("2026-01-20", 23, 50), at("2026-01-22", 0, 5)]
    now = at("2026-01-23", 8)  # Friday morning: today is not over
    flags = sos_missed_days(CAL, "sos", "SoS", made, met, now)
    assert len(flags) == 1
    assert flags[0].sprint == 2 and flags[0].days == [dt.date(2026, 1, 21)]
    assert "Wed 21 Jan" in flags[0].reason
    later = sos_missed_days(CAL, "sos", "SoS", made, met, at("2026-01-27"))
    assert [f.days for f in later] == [
        [dt.date(2026, 1, 21), dt.date(2026, 1, 23), dt.date(2026, 1, 26)]
    ]
    assert working_days(dt.date(2026, 1, 17), dt.date(2026, 1, 18)) == []  # a weekend
    since = sos_missed_days(
        CAL, "sos", "SoS", made, met, at("2026-01-27"), since=dt.date(2026, 1, 24)
    )
    assert [f.days for f in since] == [[dt.date(2026, 1, 26)]]


TEAMS = {"checkout", "search"}


def entry(**raw: object) -> TeamSprintMetrics:
    base: dict[str, object] = {"team_id": "checkout", "sprint": "3", "happiness": "4"}
    return check_entry(base | raw, teams=TEAMS, current_sprint=5, forum_id="sos", by="Maya", at=1.0)


def test_a_teams_metrics_are_checked_field_by_field() -> None:
    """SPEC R71: numbers 0-1,000,000 with at most two decimals and a unit; happiness 1-5;
    sprint 1 to the current one; a known team."""
    ok = entry(
        productivity="21,5", productivity_unit=" story  points ", value=3, value_unit="features"
    )
    assert ok.productivity == 21.5 and ok.productivity_unit == "story points"
    assert ok.value == 3.0 and ok.quality is None and ok.happiness == 4
    cases = [
        ({"team_id": "nope"}, "team_id", "teams"),
        ({"sprint": "6"}, "sprint", "1 to 5"),
        ({"sprint": "0"}, "sprint", "1 to 5"),
        ({"sprint": "x"}, "sprint", "sprint number"),
        ({"happiness": "6"}, "happiness", "1 to 5"),
        ({"happiness": ""}, "happiness", "required"),
        ({"happiness": True}, "happiness", "1 to 5"),
        ({"productivity": "-1", "productivity_unit": "pts"}, "productivity", "between 0"),
        ({"productivity": "1e9", "productivity_unit": "pts"}, "productivity", "between 0"),
        ({"productivity": "nan", "productivity_unit": "pts"}, "productivity", "between 0"),
        ({"productivity": "1.234", "productivity_unit": "pts"}, "productivity", "two decimals"),
        ({"quality": "many", "quality_unit": "bugs"}, "quality", "a number"),
        ({"quality": "2"}, "quality_unit", "unit"),
        ({"value_unit": "features"}, "value", "no number"),
        ({"value": "2", "value_unit": "x" * 41}, "value_unit", "40"),
    ]
    for raw, field, words in cases:
        with pytest.raises(BadMetrics) as e:
            entry(**raw)
        assert e.value.field == field, raw
        assert words in e.value.reason, (raw, e.value.reason)
