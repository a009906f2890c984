"""Importing cards from a tracker's CSV export (SPEC R65), on a real server.

Real export files (``tests/data/``): Jira, Azure DevOps (with a byte-order mark) and a
GitHub project view; broken ones. Cards arrive through the live path, so a websocket
client of the forum sees them; a malformed file imports nothing and names its lines.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess

DATA = Path(__file__).parent / "data"


def _csv(name: str) -> str:
    return (DATA / name).read_bytes().decode("utf-8-sig")


def _import(server: ServerProcess, forum_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    return server.request("POST", f"/api/forums/{forum_id}/import", body)


def _cards(server: ServerProcess, forum_id: str) -> list[dict[str, Any]]:
    status, cards = server.request("GET", f"/api/forums/{forum_id}/cards")
    assert status == 200, cards
    return list(cards)


def test_jira_preview_then_import_keeps_key_and_link(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Payments SoS")
    body = {"csv": _csv("jira.csv"), "site": "https://acme.atlassian.net", "dry_run": True}
    status, preview = _import(server, forum["id"], body)
    assert status == 200, preview
    assert preview["source"] == "jira"
    assert preview["mapping"] == {
        "title": "Summary",
        "description": "Description",
        "key": "Issue key",
        "link": "",
        "type": "Issue Type",
        "status": "Status",
    }
    assert [c["line"] for c in preview["preview"]] == [2, 4, 5]  # a description spans 2 lines
    assert preview["errors"] == []
    assert _cards(server, forum["id"]) == []  # a dry run adds nothing

    status, done = _import(server, forum["id"], {**body, "dry_run": False})
    assert status == 200, done
    assert (done["imported"], done["duplicates"]) == (3, 0)
    cards = _cards(server, forum["id"])
    by_key = {c["source"]["key"]: c for c in cards}
    assert set(by_key) == {"PAY-101", "PAY-102", "PAY-103"}
    bug = by_key["PAY-101"]
    assert bug["title"] == "Build pipeline blocks releases for two days"
    assert bug["kind"] == "impediment"  # Bug → impediment
    assert bug["column"] == "new"  # status New → the column New
    assert bug["body"].startswith("The shared build agents are saturated.\n")
    assert bug["source"] == {
        "system": "jira",
        "key": "PAY-101",
        "url": "https://acme.atlassian.net/browse/PAY-101",
    }
    assert by_key["PAY-102"]["kind"] == "dependency"
    assert by_key["PAY-103"]["kind"] == "risk"
    assert by_key["PAY-103"]["column"] == "removing"  # "Being removed" is that column's title
    assert by_key["PAY-103"]["title"] == 'Fraud rules change may break refunds, says "Risk"'


def test_ado_with_bom_and_github(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Fabrikam SoS")
    status, done = _import(server, forum["id"], {"csv": _csv("ado.csv")})
    assert status == 200, done
    assert done["source"] == "ado" and done["imported"] == 3
    cards = {c["source"]["key"]: c for c in _cards(server, forum["id"])}
    assert cards["4711"]["title"] == "Test environment shared by four teams"
    assert cards["4711"]["source"]["url"] == ""  # no URL column and no site: no link
    assert cards["4713"]["column"] == "needs-eat"

    backlog = server.new_forum("metascrum", "Shop MetaScrum")
    status, done = _import(server, backlog["id"], {"csv": _csv("github.csv")})
    assert status == 200, done
    assert done["source"] == "github" and done["imported"] == 4
    cards = {c["source"]["key"]: c for c in _cards(server, backlog["id"])}
    assert set(cards) == {"42", "43", "44", "45"}
    assert cards["42"]["source"]["url"] == "https://github.com/acme/shop/issues/42"
    assert cards["44"]["kind"] == "backlog_item"  # label "enhancement"


def test_the_same_import_twice_adds_its_cards_once(server: ServerProcess) -> None:
    """SPEC R65, R6: the ops' ids come from the file and the row."""
    forum = server.new_forum("sos", "Twice")
    body = {"csv": _csv("github.csv")}
    assert _import(server, forum["id"], body)[1]["imported"] == 4
    status, again = _import(server, forum["id"], body)
    assert status == 200, again
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert len(_cards(server, forum["id"])) == 4


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("malformed_quote.csv", 3, "never closed"),
        ("latin1.csv", 2, "not UTF-8"),
        ("unknown.csv", None, "not a Jira, Azure DevOps or GitHub export"),
    ],
)
def test_a_malformed_file_imports_nothing(
    server: ServerProcess, name: str, line: int | None, words: str
) -> None:
    forum = server.new_forum("sos", "Malformed")
    raw = (DATA / name).read_bytes().decode("utf-8", "replace") if name == "latin1.csv" else None
    body = {"csv": raw if raw is not None else _csv(name)}
    if name == "latin1.csv":  # sent as the bytes they are, through the page's upload
        status, page = _upload(server, forum["id"], (DATA / name).read_bytes())
        assert status == 400 and "not UTF-8" in page and "Nothing was imported" in page
        assert _cards(server, forum["id"]) == []
        return
    status, refused = _import(server, forum["id"], body)
    assert status == 400, refused
    assert refused["code"] == "invalid" and words in refused["reason"]
    if line is not None:
        assert refused["errors"][0]["line"] == line
    assert _cards(server, forum["id"]) == []


def test_row_errors_name_their_lines_and_import_nothing(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Rows")
    body = {"csv": _csv("malformed_rows.csv")}
    status, preview = _import(server, forum["id"], {**body, "dry_run": True})
    assert status == 200
    lines = {e["line"]: e["reason"] for e in preview["errors"]}
    assert set(lines) == {3, 4, 5}
    assert "title" in lines[3] and "http" in lines[4] and "6 cells" in lines[5]
    status, refused = _import(server, forum["id"], body)
    assert status == 400 and "lines 3, 4, 5" in refused["reason"], refused
    assert _cards(server, forum["id"]) == []


def test_bad_mapping_and_bad_input_are_clear_400s(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Mapping")
    csv = _csv("jira.csv")
    status, refused = _import(server, forum["id"], {"csv": csv, "mapping": {"title": "Nope"}})
    assert status == 400 and "'Nope'" in refused["reason"] and "not a column" in refused["reason"]
    status, refused = _import(server, forum["id"], {"csv": csv, "mapping": {"key": "Issue key"}})
    assert status == 400 and "titles" in refused["reason"]
    status, refused = _import(server, forum["id"], {"csv": csv, "mapping": {"colour": "x"}})
    assert status == 400 and "colour" in refused["reason"]
    status, refused = _import(server, forum["id"], {"csv": csv, "site": "javascript:alert(1)"})
    assert status == 400 and "http" in refused["reason"]
    status, refused = _import(server, forum["id"], {"csv": csv, "source": "trello"})
    assert status == 400
    status, refused = _import(server, forum["id"], {"csv": ""})
    assert status == 400 and "empty" in refused["reason"]
    status, refused = _import(server, "nope", {"csv": csv})
    assert status == 404
    assert _cards(server, forum["id"]) == []


def test_a_mapping_chosen_by_hand(server: ServerProcess) -> None:
    """The mapping is editable: here the title comes from Issue key, no description."""
    forum = server.new_forum("sos", "By hand")
    mapping = {"title": "Issue key", "key": "Issue id", "status": "Project name"}
    status, done = _import(server, forum["id"], {"csv": _csv("jira.csv"), "mapping": mapping})
    assert status == 200, done
    cards = _cards(server, forum["id"])
    assert sorted(c["title"] for c in cards) == ["PAY-101", "PAY-102", "PAY-103"]
    assert {c["body"] for c in cards} == {""}
    assert {c["column"] for c in cards} == {"new"}  # no column "Payments": the first
    assert {c["kind"] for c in cards} == {"impediment"}  # no type column: the default

    elsewhere = server.new_forum("sos", "Elsewhere")
    body = {"csv": _csv("jira.csv"), "column": "needs-eat"}  # for statuses naming no column
    status, done = _import(server, elsewhere["id"], body)
    assert status == 200, done
    columns = {c["source"]["key"]: c["column"] for c in _cards(server, elsewhere["id"])}
    assert columns == {"PAY-101": "new", "PAY-102": "needs-eat", "PAY-103": "removing"}
    status, refused = _import(server, elsewhere["id"], {**body, "column": "nope"})
    assert status == 400 and "no column 'nope'" in refused["reason"], refused


def test_only_a_facilitator_imports(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Roles")
    links = server.links(forum["id"])
    headers = {"authorization": f"Bearer {links['participant']}"}
    status, refused = server.request(
        "POST", f"/api/forums/{forum['id']}/import", {"csv": _csv("jira.csv")}, headers
    )
    assert status == 403, refused
    headers = {"authorization": f"Bearer {links['facilitator']}"}
    status, done = server.request(
        "POST", f"/api/forums/{forum['id']}/import", {"csv": _csv("jira.csv")}, headers
    )
    assert status == 200 and done["imported"] == 3


async def test_everyone_on_the_board_sees_the_cards_arrive(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Live import")
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    try:
        await client.hello()
        status, done = _import(server, forum["id"], {"csv": _csv("github.csv")})
        assert status == 200 and done["imported"] == 4
        board = server.board(forum["id"])
        await client.wait_seq(board["seq"])
        added = [
            e["card"]
            for item in client.items()
            for e in item["events"]
            if e["type"] == "card_added"
        ]
        assert [c["source"]["key"] for c in added] == ["42", "43", "44", "45"]  # in file order
    finally:
        await client.close()


def _upload(server: ServerProcess, forum_id: str, data: bytes) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\npreview\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="x.csv"\r\nContent-Type: text/csv\r\n\r\n',
    ]
    body = "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    r = server.http("POST", f"/forums/{forum_id}/import", body, headers)
    return r.status, r.text


def test_the_page_previews_an_upload(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Page")
    status, page = _upload(server, forum["id"], (DATA / "jira.csv").read_bytes())
    assert status == 200, page
    assert "Jira export: 3 items" in page
    assert 'name="map_title"' in page and "PAY-103" in page
    assert _cards(server, forum["id"]) == []
    status, page = _upload(server, forum["id"], (DATA / "malformed_quote.csv").read_bytes())
    assert status == 400 and "Line 3" in page and "Nothing was imported" in page
