"""A card's source (SPEC R65): what ``add_card`` accepts as where a card came from, in
the domain, and that the card face links back to it."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board.apply import Context, Rejected, apply
from board.model import Board, CardSource, check, new_board
from server.access.feed_tokens import SHOWN_PATH, take_feed_token, token_of
from tests.support import ServerProcess, name_cookie


def _add(board: Board, source: o.SourceIn) -> Board:
    ctx = Context(seq=board.seq + 1, at=1.0, actor="Ann")
    new, _ = apply(board, o.AddCard(column="new", title="Imported", source=source), ctx)
    assert check(new) == []
    return new


def test_r65_a_card_keeps_its_source() -> None:
    board = new_board("f1", "sos", "SoS")
    source = o.SourceIn(
        system="jira", key=" PAY-1\u200b ", url="https://acme.atlassian.net/b/PAY-1"
    )
    card = _add(board, source).cards["c1"]
    assert card.source == CardSource("jira", "PAY-1", "https://acme.atlassian.net/b/PAY-1")
    no_link = _add(board, o.SourceIn(system="github", key="#4")).cards["c1"]
    assert no_link.source == CardSource("github", "#4", "")
    assert _add(board, o.SourceIn(system="ado", key="1", url="HTTP://h.example/x")).cards["c1"]


@pytest.mark.parametrize(
    ("system", "key", "url", "words"),
    [
        ("trello", "A-1", "", "one of jira, ado, github"),
        ("jira", "\u200b ", "", "needs the item's key"),
        ("jira", "A-1", "javascript:alert(1)", "http"),
        ("jira", "A-1", "data:text/html,<b>", "http"),
        ("jira", "A-1", "ftp://host/file", "http"),
        ("jira", "A-1", "/browse/A-1", "http"),
        ("jira", "A-1", "https://", "http"),
        ("jira", "A-1", "https://host/a b", "spaces"),
        ("jira", "A-1", "https://host/\x00", "control"),
        ("jira", "A-1", "https://[::1/", "not a valid address"),
    ],
)
def test_r65_a_bad_source_is_rejected_and_changes_nothing(
    system: str, key: str, url: str, words: str
) -> None:
    board = new_board("f1", "sos", "SoS")
    before = msgspec.json.encode(board)
    op = o.AddCard(column="new", title="x", source=o.SourceIn(system=system, key=key, url=url))
    with pytest.raises(Rejected) as info:
        apply(board, op, Context(seq=1, at=1.0, actor="Ann"))
    assert info.value.code == "invalid" and words in info.value.reason, info.value.reason
    assert msgspec.json.encode(board) == before


def test_r65_the_wire_schema_bounds_a_source() -> None:
    raw = b'{"type":"add_card","column":"new","title":"x","source":{"system":"jira","key":"%s"}}'
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw % (b"k" * 65), type=o.Op)
    with pytest.raises(msgspec.ValidationError):  # no unknown fields
        msgspec.json.decode(raw.replace(b'"key"', b'"colour":1,"key"') % b"k", type=o.Op)


def test_r65_the_card_face_links_to_its_source(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Faces")
    source = {"system": "github", "key": "#7", "url": "https://github.com/acme/shop/issues/7"}
    status, card = server.request(
        "POST",
        f"/api/forums/{forum['id']}/ops",
        {"op": {"type": "add_card", "column": "new", "title": "Linked", "source": source}},
    )
    assert status == 201, card
    page = server.http("GET", f"/forums/{forum['id']}", headers=name_cookie(server, "Ann")).text
    assert 'data-source="github">GitHub <a href="https://github.com/acme/shop/issues/7" ' in page
    assert 'rel="noopener noreferrer nofollow"' in page
    status, bad = server.request(
        "POST",
        f"/api/forums/{forum['id']}/ops",
        {
            "op": {
                "type": "add_card",
                "column": "new",
                "title": "Bad",
                "source": {**source, "url": "javascript:x"},
            }
        },
    )
    assert status == 400 and bad["code"] == "invalid", bad


def test_the_edge_takes_a_feed_token_out_of_the_path() -> None:
    """What uvicorn's access log and Litestar read is the scope's path: no token in it."""
    scope = {"type": "http", "path": "/feeds/s3cret.ics", "raw_path": b"/feeds/s3cret.ics"}
    take_feed_token(scope)
    assert (scope["path"], scope["raw_path"]) == (SHOWN_PATH, SHOWN_PATH.encode())
    assert token_of(scope) == "s3cret"
    for path, token in (("/feeds/s3cret", "s3cret"), ("/feeds/a/b.ics", "a/b"), ("/feeds/", "")):
        other = {"type": "http", "path": path, "raw_path": path.encode()}
        take_feed_token(other)
        assert (other["path"], token_of(other)) == (SHOWN_PATH, token), path
    kept = {"type": "http", "path": "/feedsx/a.ics", "raw_path": b"/feedsx/a.ics"}
    take_feed_token(kept)
    assert kept["path"] == "/feedsx/a.ics" and token_of(kept) == ""


def test_r65_the_markdown_export_names_and_links_the_source(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Exported")
    api = f"/api/forums/{forum['id']}"
    assert server.request("POST", f"{api}/sessions")[0] in (200, 201)
    source = {"system": "jira", "key": "PAY-1", "url": "https://acme.atlassian.net/browse/PAY-1"}
    op = {"type": "add_card", "column": "new", "title": "From Jira", "source": source}
    assert server.request("POST", f"{api}/ops", {"op": op})[0] == 201
    status, ended = server.request("POST", f"{api}/sessions/current/end")
    assert status == 201, ended
    md = server.http("GET", f"/sessions/{forum['id']}-1/export.md").text
    assert "- **From Jira** (Jira [PAY-1](<https://acme.atlassian.net/browse/PAY-1>))" in md, md
