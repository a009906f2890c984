"""The read contract of ``SessionRecords``: plain calls on a real store of each engine."""

from __future__ import annotations

import msgspec

from board import ops as o
from board.export import export_session, verify
from board.model import new_board
from board.sync import ForumSync, LoggedOp
from server.storage import Storage
from tests.storage.engines import Seeder
from tests.storage.scenario import seed_network


async def test_an_unknown_session_has_no_forum_nor_record(storage: Storage) -> None:
    assert await storage.sessions.forum_of("nope") is None
    assert await storage.sessions.detail("nope") is None
    assert await storage.sessions.info("nope") is None
    assert await storage.sessions.of_forum("nope") == []


async def test_a_forums_sessions_newest_first_with_their_counts(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    first, second, running, other = net.sessions
    assert await storage.sessions.forum_of(first) == "sos-a"
    assert await storage.sessions.forum_of(other) == "sos-b"
    found = await storage.sessions.of_forum("sos-a", net.seqs["sos-a"])
    assert [s.id for s in found] == [running, second, first]
    assert [s.number for s in found] == [3, 2, 1]
    assert [(s.decisions, s.next_steps) for s in found] == [(1, 0), (1, 1), (1, 1)]
    assert [s.cards_moved for s in found] == [0, 1, 0]
    ended = found[1]
    assert ended.end_seq is not None and ended.ended_by == "Ben"
    assert ended.operations == ended.end_seq - ended.start_seq + 1
    now = found[0]
    assert now.end_seq is None
    assert now.operations == net.seqs["sos-a"] - now.start_seq + 1  # counted to live_seq
    assert (await storage.sessions.of_forum("sos-a"))[0].operations == 0  # no live seq


async def test_a_sessions_detail_holds_its_board_decisions_and_steps(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    detail = await storage.sessions.detail(net.sessions[0])
    assert detail is not None
    assert detail.session.forum_id == "sos-a" and detail.session.number == 1
    assert detail.board is not None and net.cards["ci"] in detail.board.cards
    assert [d.text for d in detail.decision_list] == ["Fix CI first"]
    assert detail.decision_list[0].card_ids == (net.cards["ci"],)
    assert [(s.id, s.owner, s.status) for s in detail.step_list] == [
        (net.steps["ask"], "Ben", "open")
    ]
    running = await storage.sessions.detail(net.sessions[2])
    assert running is not None and running.board is None
    assert [d.text for d in running.decision_list] == ["Keep going"]


async def test_info_and_the_session_before(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    first, second, running, _ = net.sessions
    info = await storage.sessions.info(second)
    assert info is not None and not info.running
    end = await storage.sessions.end_board(second)
    assert end is not None and end.last_session_id == second
    assert info.cards_moved == 0  # not counted here
    before = await storage.sessions.previous("sos-a", info.number)
    assert before is not None and before.id == first
    assert await storage.sessions.previous("sos-a", 1) is None
    now = await storage.sessions.info(running)
    assert now is not None and now.running
    assert await storage.sessions.end_board(running) is None
    assert await storage.sessions.end_board("nope") is None


async def test_a_steps_status_as_recorded(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    assert await storage.sessions.step_status("sos-a", net.steps["ask"]) == "open"
    assert await storage.sessions.step_status("sos-a", net.steps["quarantine"]) == "done"
    assert await storage.sessions.step_status("sos-b", net.steps["ask"]) is None


async def test_exported_steps_by_forum_name_then_oldest(storage: Storage) -> None:
    net = await seed_network(Seeder(storage))
    every = await storage.sessions.exported_steps(None)
    assert [(s.forum_name, s.text) for s in every] == [
        ("Alpha SoS", "Ask platform"),
        ("Alpha SoS", "Quarantine tests"),
        ("Beta SoS", "Call vendor"),
    ]
    assert every[0].due == "2024-01-02" and every[0].session_id == net.sessions[0]
    assert [s.text for s in await storage.sessions.exported_steps("sos-b")] == ["Call vendor"]
    seen = await storage.sessions.exported_steps(None, {"sos-b"})
    assert [s.forum_id for s in seen] == ["sos-b"]
    assert await storage.sessions.exported_steps(None, set()) == []


async def test_an_imported_session_reads_back_as_recorded(storage: Storage) -> None:
    sync = ForumSync(new_board("imp-1", "sos", "Imported"), "epoch")
    logged: list[LoggedOp] = []
    at = 1_700_000_000.0
    start = sync.board
    for op in (
        o.StartSession(),
        o.AddCard(column="new", title="Old card"),
        o.RecordDecision(text="Imported decision"),
        o.AddNextStep(text="Imported step", owner="Eve"),
        o.EndSession(),
    ):
        at += 1
        outcome = sync.submit(op, op_id=None, actor="Eve", at=at)
        it = outcome.item  # type: ignore[union-attr]
        logged.append(LoggedOp(it.seq, it.actor, it.at, it.op, it.op_id))
    export = export_session(start, logged, exported_at=at)
    history = verify(export)
    await storage.forums.create(export.start_board, at, history=history, steps=export.next_steps)
    assert await storage.sessions.forum_of(export.session.id) == "imp-1"
    detail = await storage.sessions.detail(export.session.id)
    assert detail is not None and detail.board is not None
    assert msgspec.json.encode(detail.board) == msgspec.json.encode(export.board)
    assert [d.text for d in detail.decision_list] == ["Imported decision"]
    assert [s.text for s in detail.step_list] == ["Imported step"]
    assert await storage.metrics.first_board("imp-1") == start
