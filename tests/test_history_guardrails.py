"""Guardrail flags show on the session lists (never blocking): a forum's and the network's."""

from __future__ import annotations

from typing import Any

from tests.support import ServerProcess


def _ok(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    status, data = server.request(method, path, body)
    assert status in (200, 201), (path, status, data)
    return data


def test_a_session_with_nothing_decided_is_flagged_on_both_lists(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Guarded SoS")
    base = f"/api/forums/{forum['id']}"
    # Session 1 decides and agrees a next step: not flagged.
    _ok(server, "POST", f"{base}/cards", {"column": "new", "title": "Build is red"})
    first = _ok(server, "POST", f"{base}/sessions")
    _ok(server, "POST", f"{base}/decisions", {"text": "Platform owns it", "cards": ["c1"]})
    _ok(server, "POST", f"{base}/next-steps", {"text": "Fix the pipeline", "owner": "Maya"})
    _ok(server, "POST", f"{base}/sessions/current/end")
    # Session 2 only talks: a likely status meeting.
    second = _ok(server, "POST", f"{base}/sessions")
    _ok(server, "POST", f"{base}/sessions/current/end")

    for path in (f"/forums/{forum['id']}/sessions", "/sessions"):
        page = server.http("GET", path)
        assert page.status == 200
        text = page.text
        row_first = text.split(f'id="session-{first["id"]}"')[1].split("</tr>")[0]
        row_second = text.split(f'id="session-{second["id"]}"')[1].split("</tr>")[0]
        assert 'data-rule="status_meeting"' in row_second, path
        assert "Likely a status meeting" in row_second
        assert 'data-rule="status_meeting"' not in row_first, path
