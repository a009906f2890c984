"""The pure parts of outgoing webhooks: which ops make which events and their keys
(SPEC R60, R62), the session summary, the chat formats' escaping and links, the
signature (R63) and the backoff (R64)."""

from __future__ import annotations

import datetime as dt
import json
import random

from board import ops as o
from board.outgoing import ForumRef, outgoing_for, step_due
from server.hooks.deliverer import MAX_BACKOFF, backoff
from server.hooks.formats import render
from server.hooks.signing import sign, verify
from tests.storage.plays import Play


def test_which_ops_make_which_events() -> None:  # SPEC R60
    play = Play("sos", "sos", "SoS <A>")
    moved = play.do(o.AddCard(column="new", title="Flaky"))
    assert outgoing_for(moved.item, moved.board) == []  # a card added makes none
    play.do(o.StartSession())
    decided = play.do(o.RecordDecision(text="Ship"))
    [d] = outgoing_for(decided.item, decided.board)
    assert (d.kind, d.decision, d.id, d.forums) == (
        "decision.recorded",
        "Ship",
        f"sos:{decided.item.seq}:0",
        ("sos",),
    )
    step = play.do(o.AddNextStep(text="Book", owner="Ann", due=dt.date(2026, 1, 2)))
    [created] = outgoing_for(step.item, step.board)
    assert created.kind == "next_step.created" and created.step is not None
    step_id = created.step.id
    edited = play.do(o.UpdateNextStep(step=step_id, owner="Bo"))
    assert outgoing_for(edited.item, edited.board) == []  # an edit is not "done"
    done = play.do(o.UpdateNextStep(step=step_id, status="done"))
    assert [e.kind for e in outgoing_for(done.item, done.board)] == ["next_step.done"]
    ended = play.do(o.EndSession())
    [e] = outgoing_for(ended.item, ended.board)
    assert e.kind == "session.ended" and e.session is not None
    assert e.session.decisions == ("Ship",) and e.path == f"/sessions/{e.session.id}"
    assert e.summary.startswith("## SoS \\<A\\>: session 1\n")  # escaped
    assert "- Book — Bo, 2026-01-02 (done)" in e.summary


def test_the_clock_makes_due_then_overdue_once_per_due_date() -> None:  # SPEC R60
    play = Play("f", "sos", "F")
    play.do(o.StartSession())
    play.do(o.AddNextStep(text="Book", due=dt.date(2026, 1, 2)))
    step = next(iter(play.board.next_steps.values()))
    forum = ForumRef(id="f", name="F")
    assert step_due(forum, step, dt.date(2026, 1, 1), 0.0) is None
    due = step_due(forum, step, dt.date(2026, 1, 2), 0.0)
    late = step_due(forum, step, dt.date(2026, 1, 3), 0.0)
    later = step_due(forum, step, dt.date(2026, 2, 3), 0.0)
    assert due is not None and due.kind == "next_step.due"
    assert late is not None and later is not None and late.kind == "next_step.overdue"
    assert late.id == later.id != due.id  # overdue once, whatever the day
    play.do(o.UpdateNextStep(step=step.id, status="done"))
    closed = next(iter(play.board.next_steps.values()))
    assert step_due(forum, closed, dt.date(2026, 1, 3), 0.0) is None


def test_chat_formats_escape_user_text_and_link_back() -> None:
    play = Play("sos", "sos", "SoS")
    play.do(o.StartSession())
    decided = play.do(o.RecordDecision(text="<!channel> *bold* [x](http://evil)"))
    [event] = outgoing_for(decided.item, decided.board)
    slack = json.loads(render("slack", event, "https://board.example/"))["text"]
    assert "&lt;!channel&gt;" in slack and "<!channel>" not in slack
    assert "<https://board.example/sessions/sos-1|Open in Scaleboard>" in slack
    mm = json.loads(render("mattermost", event, "https://board.example"))["text"]
    assert "\\[x\\](http://evil)" in mm and "\\*bold\\*" in mm
    assert "[Open in Scaleboard](https://board.example/sessions/sos-1)" in mm
    teams = json.loads(render("teams", event, "https://board.example"))
    card = teams["attachments"][0]["content"]
    assert card["actions"][0]["url"] == "https://board.example/sessions/sos-1"
    generic = json.loads(render("json", event, "https://board.example"))
    assert generic["decision"] == "<!channel> *bold* [x](http://evil)"  # JSON: as written
    assert generic["url"] == "https://board.example/sessions/sos-1"


def test_a_signature_verifies_and_nothing_else_does() -> None:  # SPEC R63
    body = b'{"id":"f:1:0"}'
    header = sign("whsec_a", 1_000, body)
    assert header.startswith("t=1000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("whsec_a", header, body, 1_000)
    assert not verify("whsec_b", header, body, 1_000)  # another secret
    assert not verify("whsec_a", header, body + b" ", 1_000)  # another body
    assert not verify("whsec_a", header, body, 1_000 + 301)  # too old
    assert not verify("whsec_a", "t=x,v1=00", body, 1_000)
    assert not verify("whsec_a", "", body, 1_000)


def test_backoff_doubles_with_jitter_up_to_a_cap() -> None:  # SPEC R62
    rng = random.Random(7)
    waits = [backoff(n, 10.0, rng) for n in range(1, 12)]
    for n, wait in enumerate(waits, start=1):
        nominal = 10.0 * min(2 ** (n - 1), MAX_BACKOFF)
        assert 0.8 * nominal <= wait <= 1.2 * nominal
    assert max(waits) <= 1.2 * 10.0 * MAX_BACKOFF
