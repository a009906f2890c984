"""The read contract of ``HistoryQueries``: the network's lists, filtered and paged."""

from __future__ import annotations

import datetime as dt

from server.storage import Storage
from server.storage.history import StepFilter
from tests.storage.engines import Seeder
from tests.storage.scenario import seed_network

TODAY = dt.date(2025, 6, 1)


async def test_sessions_of_the_network_newest_first_and_paged(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    history = storage.history
    total, page = await history.sessions(limit=2)
    assert total == 4
    assert [s.id for s in page] == [net.sessions[3], net.sessions[2]]
    assert (page[0].forum_name, page[0].forum_kind) == ("Beta SoS", "sos")
    _, rest = await history.sessions(limit=10, offset=2)
    assert [s.id for s in rest] == [net.sessions[1], net.sessions[0]]
    total, only = await history.sessions(forum_id="sos-b", limit=10)
    assert total == 1 and only[0].id == net.sessions[3]
    assert (await history.sessions(kind="eat", limit=10))[0] == 0
    assert (await history.sessions(limit=10, visible=set()))[0] == 0
    total, seen = await history.sessions(limit=10, visible={"sos-a"})
    assert total == 3 and {s.forum_id for s in seen} == {"sos-a"}


async def test_a_running_sessions_operations_count_to_the_live_seq(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    running = net.sessions[2]
    _, stored = await storage.history.sessions(forum_id="sos-a", limit=10)
    counted = {s.id: s for s in stored}[running]
    assert counted.operations == net.seqs["sos-a"] - counted.start_seq + 1  # the stored seq
    live = {"sos-a": net.seqs["sos-a"] + 5}
    _, now = await storage.history.sessions(forum_id="sos-a", limit=10, live_seqs=live)
    assert {s.id: s for s in now}[running].operations == counted.operations + 5


async def test_decisions_newest_first_searched_literally(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    total, found = await storage.history.decisions(limit=10)
    assert total == 3
    assert [d.text for d in found] == ["Keep going", "100% of tests_green", "Fix CI first"]
    assert found[0].session_running and not found[1].session_running
    assert [c.id for c in found[2].cards] == [net.cards["ci"]]
    assert [c.title for c in found[2].cards] == [net.cards["ci"]]  # titled by id here
    assert (await storage.history.decisions(q="100%", limit=10))[0] == 1
    assert (await storage.history.decisions(q="0%_", limit=10))[0] == 0  # % and _ literal
    assert (await storage.history.decisions(q="fix ci", limit=10))[0] == 1  # any case
    assert (await storage.history.decisions(forum_id="sos-b", limit=10))[0] == 0
    assert (await storage.history.decisions(limit=10, visible=set()))[0] == 0


async def test_card_titles_from_the_board_a_session_recorded(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    first, _, running, _ = net.sessions
    titles = await storage.history.recorded_titles([first, running, "nope"])
    assert titles == {first: {net.cards["ci"]: "Flaky CI"}}
    assert await storage.history.recorded_titles([]) == {}


async def test_next_steps_open_first_and_filtered(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    history = storage.history
    total, found = await history.steps(StepFilter(), today=TODAY, limit=10)
    assert total == 3
    assert [s.text for s in found] == ["Ask platform", "Call vendor", "Quarantine tests"]
    ask = found[0]
    assert ask.overdue and ask.changeable and ask.due == dt.date(2024, 1, 2)
    assert not found[2].changeable  # closed: whether it still is, the board says
    done = (await history.steps(StepFilter(status="done"), today=TODAY, limit=9))[1]
    assert [s.id for s in done] == [net.steps["quarantine"]]
    owners = (await history.steps(StepFilter(owner="BEN"), today=TODAY, limit=9))[1]
    assert sorted(s.forum_id for s in owners) == ["sos-a", "sos-b"]
    overdue = (await history.steps(StepFilter(overdue=True), today=TODAY, limit=9))[1]
    assert [s.id for s in overdue] == [net.steps["ask"]]
    early = await history.steps(StepFilter(overdue=True), today=dt.date(2023, 1, 1), limit=9)
    assert early[0] == 0
    assert (await history.steps(StepFilter(forum_id="sos-b"), today=TODAY, limit=9))[0] == 1
    paged = await history.steps(StepFilter(), today=TODAY, limit=1, offset=1)
    assert paged[0] == 3 and [s.text for s in paged[1]] == ["Call vendor"]
    assert (await history.steps(StepFilter(), today=TODAY, limit=9, visible=set()))[0] == 0


async def test_step_owners_for_the_owner_filter(storage: Storage) -> None:
    await seed_network(Seeder(storage))
    owners = await storage.history.step_owners(None)
    assert set(owners) == {"Ben", "ben", "Cleo"}
    assert owners == sorted(owners, key=str.casefold)
    assert await storage.history.step_owners("sos-b") == ["ben"]
    assert await storage.history.step_owners(None, {"sos-b"}) == ["ben"]
