"""User text cannot turn the text around it: bidi controls and invisible characters are
dropped where user text comes in (``board.rules.clean_text``: titles, bodies, owners,
decisions, next steps, display names), and what pages show of people is isolated
(``<bdi>``, ``dir="auto"``), so a display name or a title never reverses what follows
it in the participants and presence lists, on cards, or in exports."""

from __future__ import annotations

import csv
import io
import re

import pytest

from board.rules import clean_text
from server.sessions.export_formats import csv_cell, md
from tests.support import ServerProcess, ack, live_as, name_cookie

RLO = "\u202e"  # right-to-left override: "\u202eevil" shows as "live"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = "\u200b\u2060\ufeff"


@pytest.mark.parametrize("ch", CONTROLS + INVISIBLE)
def test_clean_text_drops_bidi_controls_and_invisible_characters(ch: str) -> None:
    assert clean_text(f"Ann{ch} Lee{ch}", single_line=True) == "Ann Lee"
    assert clean_text(f"{ch}", single_line=True) == ""
    assert clean_text(f"line{ch}\nnext", single_line=False) == "line\nnext"


def test_joiners_stay_only_where_they_join() -> None:
    # Between Latin letters they only hide a difference ("Al\u200cice" looks like "Alice").
    assert clean_text("Al\u200cice\u200d", single_line=True) == "Alice"
    assert clean_text("\u200dBo", single_line=True) == "Bo"
    # Persian needs the zero-width non-joiner; emoji sequences need the joiner.
    persian = "می\u200cخواهم"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(persian, single_line=True) == persian
    assert clean_text(f"Team {family}", single_line=True) == f"Team {family}"
    # Plain text of every script is untouched.
    for text in ("שלום עולם", "مرحبا 12", "Zoë — 東京"):
        assert clean_text(text, single_line=True) == text


def test_exports_neutralise_controls_in_text_stored_before() -> None:
    # Markdown and CSV of text recorded by an older version still carry none of them,
    # and a formula hidden behind one is still guarded.
    assert md(f"{RLO}Ann\u2066 & co") == "Ann &amp; co"
    assert csv_cell(f"{RLO}=cmd()") == "'=cmd()"
    assert csv_cell(f"\u200b+1{RLO}") == "'+1"


def any_control(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS + INVISIBLE})


async def test_names_titles_and_exports_carry_no_bidi_controls(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Bidi")
    fid = forum["id"]
    sneaky = f"Mallory{RLO}"
    client = await live_as(server, fid, sneaky, "facilitator")
    try:
        await ack(client, {"type": "start_session"})
        await ack(
            client,
            {
                "type": "add_card",
                "column": "new",
                "title": f"Fix {RLO}nigol\u200b",
                "owner": f"\u2067Eve{RLO}",
                "body": f"why{RLO}",
            },
        )
        await ack(client, {"type": "record_decision", "text": f"Ship {RLO}it"})
        await ack(client, {"type": "add_next_step", "text": f"{RLO}=cmd()", "owner": f"Bo{RLO}"})
        # What the board holds, and so what everyone receives, is clean.
        board = server.board(fid)
        assert any_control(str(board)) == [], board
        (got,) = board["cards"].values()
        assert got["title"] == "Fix nigol" and got["owner"] == "Eve" and got["body"] == "why"
        assert "Mallory" in board["session"]["participants"]
        # The board page: no control characters, and people isolated from the text beside.
        page = server.http("GET", f"/forums/{fid}", headers=name_cookie(server, "Ann")).text
        assert any_control(page) == []
        assert '<span class="owner-label">Owner </span><bdi>Eve</bdi>' in page
        assert '<h3 class="card-title" dir="auto">Fix nigol</h3>' in page
        assert re.search(r"Taking part:</span> <bdi>Mallory</bdi>", page), page
        assert "<bdi>Bo</bdi>" in page and "<bdi>Mallory</bdi> ·" in page
        end = await client.call({"type": "end_session"})
        assert end["type"] == "ack", end
    finally:
        await client.close()
    sid = board["session"]["id"]
    for path in (f"/sessions/{sid}", f"/forums/{fid}/sessions", f"/forums/{fid}/next-steps"):
        r = server.http("GET", path)
        assert r.status == 200 and any_control(r.text) == [], path
        assert "<bdi>Mallory</bdi>" in r.text or "<bdi>Bo</bdi>" in r.text, path
    md_export = server.http("GET", f"/sessions/{sid}/export.md")
    assert md_export.status == 200 and any_control(md_export.text) == []
    assert "**Participants:** Mallory" in md_export.text
    rows = list(
        csv.DictReader(io.StringIO(server.http("GET", f"/forums/{fid}/next-steps.csv").text))
    )
    assert [(r["text"], r["owner"]) for r in rows] == [("'=cmd()", "Bo")]


def test_a_name_of_only_invisible_characters_is_no_name(server: ServerProcess) -> None:
    r = server.form("/name", {"name": f"{RLO}\u200b\u2066", "next": "/"})
    assert r.status == 400 and "Type the name others will see." in r.text
    r = server.form("/name", {"name": f"Ann{RLO}", "next": "/"})
    assert r.status == 303
    cookie = r.headers["set-cookie"].split(";", 1)[0]
    page = server.http("GET", "/name", headers={"cookie": cookie}, auth=False)
    assert 'value="Ann"' in page.text and RLO not in page.text
