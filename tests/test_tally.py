"""A retrospective's vote is kept when its session ends (SPEC R73): on ``session_ended``,
in the webhook's summary, and — on a real server — on the session page and in the
Markdown, summary, JSON and CSV exports; dot counts only, never who voted (R40)."""

from __future__ import annotations

import csv
import io
import json

import msgspec
from msgspec.structs import replace

from board import ops as o
from board.apply import Context, apply
from board.events import SessionEnded
from board.model import Board, Retro, TallyLine, new_board
from board.outgoing import ForumRef, SessionRef, session_summary
from tests.support import LiveClient, ServerProcess
from tests.test_voting_live import ok


def step(board: Board, op: o.Op, who: str = "Ana") -> tuple[Board, list[object]]:
    ctx = Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=who)
    new, events = apply(board, op, ctx)
    return new, list(events)


def voted(phase: str) -> Board:
    """A retro session with c2 c3 in one cluster, c4 alone; two people voted; the
    phase is ``phase``."""
    b = new_board("f1", "retro", "Retro")
    b, _ = step(b, o.StartSession())
    for title in ("Slow CI", "Flaky tests", "Long meetings"):
        b, _ = step(b, o.AddCard(column="to-improve", title=title))
    b = replace(b, retro=Retro(phase="group"))
    b, _ = step(b, o.GroupCard(card="c3", with_card="c4"))
    b = replace(b, retro=replace(b.retro, phase="vote"))  # type: ignore[type-var]
    for who, target in (("Ana", "c2"), ("Bo", "c2"), ("Bo", "c3"), ("Ana", "c4"), ("Cy", "c4")):
        b, _ = step(b, o.CastVote(target=target), who)
    if phase != "vote":
        b, _ = step(b, o.SetPhase(phase=phase), "Fac")  # type: ignore[arg-type]
    return b


def ended(board: Board) -> SessionEnded:
    _, events = step(board, o.EndSession())
    return next(e for e in events if isinstance(e, SessionEnded))


def test_ending_the_session_keeps_the_tally_in_discussion_order() -> None:  # SPEC R73
    for phase in ("discuss", "vote"):  # a vote still open at the end is counted too
        tally = ended(voted(phase)).tally
        cluster = next(t for t in tally if t.cluster)
        assert [t.dots for t in tally] == [3, 2]
        assert tally[0] == cluster and cluster.cards == ("Flaky tests", "Long meetings")
        assert tally[1] == TallyLine(id="c2", title="Slow CI", dots=2)
        raw = msgspec.json.encode(tally).decode()
        assert "Ana" not in raw and "Bo" not in raw and "Cy" not in raw  # R40


def test_no_vote_no_tally_and_other_forums_none() -> None:  # SPEC R73
    b = new_board("f1", "retro", "Retro")
    b, _ = step(b, o.StartSession())
    assert ended(b).tally == ()
    sos = new_board("s", "sos", "SoS")
    sos, _ = step(sos, o.StartSession())
    assert ended(sos).tally == ()


def test_the_webhook_summary_lists_the_vote() -> None:  # SPEC R73, R60
    tally = ended(voted("discuss")).tally
    ref = SessionRef(id="f1-1", number=1, tally=tally)
    text = session_summary(ForumRef(id="f1", name="Retro", kind="retro"), ref)
    assert "### Vote" in text and "1. Flaky tests — 3 dots (cluster: Flaky tests; Long" in text
    assert "2. Slow CI — 2 dots" in text


async def test_the_tally_on_the_session_page_and_in_every_export(server: ServerProcess) -> None:
    # SPEC R73: after the end, from a real server.
    fid = server.new_forum("retro", "Retro Kept")["id"]
    tokens = server.links(fid)
    fac = await LiveClient.connect(server.ws_url(fid, tokens["facilitator"]))
    a = await LiveClient.connect(server.ws_url(fid, tokens["participant"]))
    try:
        await ok(fac, {"type": "start_session"})
        cards = []
        for title in ("Slow CI", "Flaky tests", "Long meetings"):
            await ok(fac, {"type": "add_card", "column": "to-improve", "title": title})
            cards.append(f"c{fac.seq}")
        for phase in ("write", "reveal", "group"):
            await ok(fac, {"type": "set_phase", "phase": phase})
        await ok(a, {"type": "group_card", "card": cards[1], "with_card": cards[2]})
        group = f"g{a.seq}"
        await ok(a, {"type": "name_group", "group": group, "title": "Waste"})
        await ok(fac, {"type": "set_phase", "phase": "vote"})
        for target in (group, group, cards[0]):
            await ok(a, {"type": "cast_vote", "target": target})
        await ok(fac, {"type": "set_phase", "phase": "discuss"})
        await ok(fac, {"type": "end_session"})
    finally:
        for client in (fac, a):
            await client.close()
    sid = f"{fid}-1"
    page = server.http("GET", f"/sessions/{sid}")
    assert page.status == 200 and 'id="session-tally"' in page.text
    part = page.text.split('id="session-tally"', 1)[1].split("</section>", 1)[0]
    assert part.index(f'data-topic="{group}"') < part.index(f'data-topic="{cards[0]}"')
    assert "2 dots" in part and "1 dot<" in part and "Waste" in part
    assert f'href="/sessions/{sid}/vote.csv"' in page.text
    md = server.http("GET", f"/sessions/{sid}/export.md").text
    assert "## Vote" in md and "1. Waste — 2 dots (cluster: Flaky tests; Long meetings)" in md
    assert "2. Slow CI — 1 dot" in md
    summary = server.http("GET", f"/sessions/{sid}/summary.md").text
    assert "### Vote" in summary and "1. Waste — 2 dots" in summary
    export = json.loads(server.http("GET", f"/sessions/{sid}/export.json").text)
    assert [(t["id"], t["dots"]) for t in export["tally"]] == [(group, 2), (cards[0], 1)]
    assert all(set(t) <= {"id", "title", "dots", "cards", "cluster"} for t in export["tally"])
    vote = server.http("GET", f"/sessions/{sid}/vote.csv")
    rows = list(csv.reader(io.StringIO(vote.text)))
    assert rows[0] == ["rank", "id", "title", "dots", "cluster", "cards"]
    assert rows[1][:5] == ["1", group, "Waste", "2", "yes"]
    assert rows[2][:4] == ["2", cards[0], "Slow CI", "1"]
    # The JSON export still imports, and the copy keeps the same tally.
    status, imported = server.request("POST", "/api/import", export)
    assert status == 201 and imported["remapped"], imported
    copy = server.http("GET", f"/sessions/{imported['session_id']}/export.json").text
    assert json.loads(copy)["tally"] == export["tally"]


def test_an_import_with_a_changed_tally_is_refused() -> None:  # SPEC R73
    import pytest

    from board.export import ImportProblem, check_import, encode, export_session
    from board.log import LoggedOp

    start = new_board("f1", "retro", "Retro")
    board, ops = start, []
    for op, who in (
        (o.StartSession(), "Fac"),
        (o.AddCard(column="to-improve", title="Slow CI"), "Ana"),
        (o.SetPhase(phase="write"), "Fac"),
        (o.SetPhase(phase="reveal"), "Fac"),
        (o.SetPhase(phase="group"), "Fac"),
        (o.SetPhase(phase="vote"), "Fac"),
        (o.CastVote(target="c2"), "Ana"),
        (o.EndSession(), "Fac"),
    ):
        seq = board.seq + 1
        board, _ = step(board, op, who)  # type: ignore[arg-type]
        ops.append(LoggedOp(seq=seq, actor=who, at=1000.0 + seq - 1, op=op))
    export = export_session(start, ops, exported_at=2000.0)
    assert [(t.id, t.dots) for t in export.tally] == [("c2", 1)]
    check_import(encode(export))
    changed = replace(export, tally=(replace(export.tally[0], dots=9),))
    with pytest.raises(ImportProblem, match="tally"):
        check_import(encode(changed))
