"""``board.export``: a session exported from a replayed log, and every way an import of
one is refused (pure: plain boards and operations, no server)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec
import pytest

from board import ops as o
from board.apply import Context, apply
from board.export import (
    FORMAT,
    ImportProblem,
    SessionExport,
    check_import,
    encode,
    export_session,
    replay_session,
    verify,
    with_forum_id,
)
from board.log import LoggedOp
from board.model import Board, new_board

T0 = 1_700_000_000.0


class Log:
    """Operations applied in order; keeps the logged ops and the board."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.logged: list[LoggedOp] = []
        self.at = T0

    def do(self, actor: str, op: o.Op) -> int:
        self.at += 60
        seq = self.board.seq + 1
        self.board, events = apply(self.board, op, Context(seq=seq, at=self.at, actor=actor))
        assert events, op
        self.logged.append(LoggedOp(seq=seq, actor=actor, at=self.at, op=op, op_id=f"op-{seq}"))
        return seq


def two_sessions() -> tuple[Board, list[LoggedOp], Log]:
    """A forum with a first session (leaving an open step) and a second one, ended.

    Returns the board before the second session, its operations, and the whole log.
    """
    log = Log(new_board("sos-1", "sos", "Scrum of Scrums"))
    a = log.do("Ana", o.AddCard(column="new", title="Flaky CI"))
    b = log.do("Ana", o.AddCard(column="new", title="Shared staging", team="checkout"))
    log.do("Ana", o.StartSession())
    log.do("Ana", o.AddNextStep(text="Ask platform about staging", owner="Ben"))
    log.do("Ana", o.EndSession())
    start = log.board
    first = len(log.logged)
    log.do("Ben", o.StartSession())
    log.do("Cleo", o.MoveCard(card=f"c{a}", column="removing", index=0))
    c = log.do("Ben", o.AddCard(column="new", title="Login <b>bug</b>", body="two\nlines"))
    log.do("Ben", o.EditCard(card=f"c{b}", title="Shared staging env"))
    log.do("", o.NotePresence(names=("Dan",)))
    log.do("Ben", o.RecordDecision(text="Fix CI first", cards=(f"c{a}", f"c{c}")))
    s = log.do("Cleo", o.AddNextStep(text="Quarantine flaky tests", owner="Cleo", cards=(f"c{a}",)))
    log.do("Ben", o.AddNextStep(text="=cmd()", due=dt.date(2024, 1, 2)))
    log.do("Ben", o.UpdateNextStep(step=f"s{s}", status="done"))
    log.do("Ben", o.ArchiveCard(card=f"c{b}"))
    log.do("Ben", o.EndSession())
    return start, log.logged[first:], log


@pytest.fixture
def made() -> SessionExport:
    start, ops, _ = two_sessions()
    return export_session(start, ops, exported_at=T0 + 10_000)


def as_json(export: SessionExport) -> dict[str, Any]:
    return dict(json.loads(encode(export)))


def refused(doc: Any) -> str:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    with pytest.raises(ImportProblem) as info:
        check_import(data)
    return str(info.value)


# -- a sound export ---------------------------------------------------------------------------


def test_an_export_holds_the_whole_session_and_imports_back_unchanged(
    made: SessionExport,
) -> None:
    _, _, log = two_sessions()
    assert made.format == FORMAT and made.version == 1
    assert made.forum.id == "sos-1" and made.forum.kind == "sos"
    assert made.session.id == "sos-1-2" and made.session.number == 2
    assert made.session.start_seq == made.start_board.seq + 1 == 6
    assert made.session.end_seq == made.board.seq == log.board.seq
    assert made.session.participants == ("Ben", "Cleo", "Dan")
    assert made.board == log.board
    assert [d.text for d in made.decisions] == ["Fix CI first"]
    assert [(s.text, s.status) for s in made.next_steps] == [
        ("Quarantine flaky tests", "done"),
        ("=cmd()", "open"),
    ]
    # The step left open by session 1 is carried, not part of this session.
    assert "Ask platform about staging" in {s.text for s in made.start_board.next_steps.values()}
    assert [e.seq for e in made.operations] == list(range(6, made.session.end_seq + 1))

    data = encode(made)
    back = check_import(data)
    assert back == made
    assert encode(back) == data
    assert as_json(made)["operations"][2]["op"]["type"] == "add_card"


def test_later_changes_of_a_step_are_exported_and_accepted(made: SessionExport) -> None:
    start, ops, _ = two_sessions()
    step = made.next_steps[1]
    later = msgspec.structs.replace(
        step, status="done", updated_at=made.session.ended_at + 3600, updated_by="Eve"
    )
    export = export_session(start, ops, exported_at=T0, next_steps=[later])
    assert export.next_steps[1] == later
    assert check_import(encode(export)).next_steps[1].status == "done"


def test_replaying_a_session_gives_each_item_and_the_board_after_it(
    made: SessionExport,
) -> None:
    accepted = replay_session(made.start_board, made.operations)
    assert [a.item.seq for a in accepted] == [e.seq for e in made.operations]
    assert [a.item.op_id for a in accepted] == [e.op_id for e in made.operations]
    assert accepted[-1].board == made.board
    assert accepted[1].board.cards["c1"].column == "removing"


def test_a_new_forum_id_rewrites_every_id_derived_from_it(made: SessionExport) -> None:
    moved = with_forum_id(made, "sos-2-copy")
    assert moved.forum.id == "sos-2-copy"
    assert moved.session.id == "sos-2-copy-2"
    assert {d.session_id for d in moved.decisions} == {"sos-2-copy-2"}
    assert {s.session_id for s in moved.next_steps} == {"sos-2-copy-2"}
    assert moved.start_board.forum_id == moved.board.forum_id == "sos-2-copy"
    assert moved.start_board.last_session_id == "sos-2-copy-1"
    assert moved.board.last_session_id == "sos-2-copy-2"
    carried = {s.session_id for s in moved.start_board.next_steps.values()}
    assert carried == {"sos-2-copy-1"}
    assert "sos-1" not in encode(moved).decode().replace("sos-2-copy", "")
    # Still a sound export: its operations lead to its (rewritten) board.
    assert verify(moved)[-1].board == moved.board
    assert check_import(encode(moved)) == moved
    assert with_forum_id(made, "sos-1") is made


# -- malformed imports --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "one JSON object"),
        (b'{"hello": 1}', "no `format` field"),
        (b'{"format": "trello.board", "version": 1}', "`format` is 'trello.board'"),
        (b'{"format": "scaleboard.session", "version": 2}', "version 2 is not supported"),
        (b'{"format": "scaleboard.session"}', "version None is not supported"),
    ],
)
def test_foreign_files_are_refused_saying_what_they_are(data: bytes, words: str) -> None:
    assert words in refused(data)


def test_a_missing_field_is_named(made: SessionExport) -> None:
    doc = as_json(made)
    del doc["board"]
    assert "missing required field `board`" in refused(doc)
    doc = as_json(made)
    del doc["session"]["end_seq"]
    assert "missing required field `end_seq`" in refused(doc)
    assert "at `$.session`" in refused(doc)


def test_a_field_of_the_wrong_type_is_named_with_its_path(made: SessionExport) -> None:
    doc = as_json(made)
    doc["operations"][3]["op"]["title"] = 42
    message = refused(doc)
    assert "does not fit the schema" in message and "$.operations[3].op.title" in message
    doc = as_json(made)
    doc["operations"][1]["op"]["type"] = "teleport_card"
    assert "$.operations[1].op" in refused(doc)
    doc = as_json(made)
    doc["extra"] = True
    assert "unknown field `extra`" in refused(doc)


def test_a_gap_or_a_wrong_seq_is_refused(made: SessionExport) -> None:
    doc = as_json(made)
    del doc["operations"][4]
    message = refused(doc)
    assert "operations[4] has seq 11, expected 10" in message and "without gaps" in message
    doc = as_json(made)
    doc["operations"][0]["seq"] = 5
    assert "operations[0] has seq 5, expected 6" in refused(doc)
    doc = as_json(made)
    doc["session"]["start_seq"] = 3
    assert "session.start_seq is 3" in refused(doc)
    doc = as_json(made)
    doc["session"]["end_seq"] += 1
    assert "session.end_seq" in refused(doc)


def test_a_board_that_the_operations_do_not_lead_to_is_refused(made: SessionExport) -> None:
    doc = as_json(made)
    doc["board"]["cards"]["c1"]["title"] = "Something nicer"
    message = refused(doc)
    assert "not the board the operations lead to" in message
    assert "$.board.cards.c1.title" in message
    doc = as_json(made)
    doc["start_board"]["cards"]["c1"]["title"] = "Changed before"
    assert "not the board the operations lead to" in refused(doc)


def test_operations_that_cannot_be_applied_are_named(made: SessionExport) -> None:
    doc = as_json(made)
    doc["operations"][1]["op"]["card"] = "c999"
    message = refused(doc)
    assert "operations[1] (seq 7, move_card) cannot be applied" in message
    assert "no card 'c999'" in message
    doc = as_json(made)
    doc["operations"][2]["op_id"] = doc["operations"][1]["op_id"]
    assert "repeats the op id" in refused(doc)
    doc = as_json(made)
    del doc["operations"][-1]
    doc["session"]["end_seq"] -= 1
    doc["board"]["seq"] -= 1
    assert "must be the `end_session`" in refused(doc)


def test_a_board_that_breaks_the_invariants_is_refused(made: SessionExport) -> None:
    doc = as_json(made)
    columns = doc["board"]["columns"]
    columns[1]["card_ids"].append(columns[0]["card_ids"][0])
    message = refused(doc)
    assert "board breaks the board invariants" in message and "in columns" in message
    doc = as_json(made)
    doc["start_board"]["columns"][0]["card_ids"] = []
    assert "start_board breaks the board invariants" in refused(doc)
    assert "is in no column" in refused(doc)


def test_session_facts_must_agree_with_the_operations(made: SessionExport) -> None:
    doc = as_json(made)
    doc["session"]["participants"] = ["Ben"]
    assert "session.participants" in refused(doc)
    doc = as_json(made)
    doc["session"]["ended_by"] = "Mallory"
    assert "session.ended_by is 'Mallory', but the operations give 'Ben'" in refused(doc)
    doc = as_json(made)
    doc["forum"]["kind"] = "nonsense"
    assert "forum.kind 'nonsense'" in refused(doc)
    doc = as_json(made)
    doc["forum"]["id"] = "../etc"
    assert "not a usable forum id" in refused(doc)
    doc = as_json(made)
    doc["start_board"]["forum_id"] = "other"
    assert "start_board.forum_id is 'other'" in refused(doc)


def test_decisions_and_steps_must_belong_to_the_session(made: SessionExport) -> None:
    doc = as_json(made)
    doc["decisions"][0]["session_id"] = "sos-1-1"
    assert "decisions[0] ('d11') belongs to session 'sos-1-1', not 'sos-1-2'" in refused(doc)
    doc = as_json(made)
    doc["decisions"] = []
    assert "decisions is missing d11" in refused(doc)
    doc = as_json(made)
    doc["decisions"][0]["text"] = "Fix CI never"
    assert "differs from the decision the operations recorded" in refused(doc)
    doc = as_json(made)
    doc["next_steps"][0]["session_id"] = "sos-1-1"
    assert "next_steps[0] ('s12') belongs to session 'sos-1-1'" in refused(doc)
    doc = as_json(made)
    doc["next_steps"].append(dict(doc["next_steps"][0], id="s99"))
    assert "next_steps[2] ('s99') was not agreed by the operations" in refused(doc)
    doc = as_json(made)
    doc["next_steps"].pop()
    assert "next_steps is missing s13" in refused(doc)
    doc = as_json(made)
    doc["next_steps"][1]["text"] = "Something else"  # changed, yet not updated later
    assert "not changed after the session" in refused(doc)


def test_text_longer_than_the_live_schema_allows_is_refused(made: SessionExport) -> None:
    doc = as_json(made)
    doc["start_board"]["cards"]["c1"]["title"] = "x" * 201
    assert "start_board.cards.c1.title is too long (201; at most 200)" in refused(doc)
    doc = as_json(made)
    doc["operations"][0]["actor"] = "y" * 61
    assert "operations[0] has an actor or op_id longer than allowed" in refused(doc)
