"""``scaleboard serve --db postgresql://…`` as a real process on the test PostgreSQL
(``tests/pg.py``: a schema of its own, dropped at the end): a live client adds and
moves cards and runs a session with a decision, the server is killed (SIGKILL) and
started again, and every acked op is there; the pages that read the store answer.
The demo network is seeded on PostgreSQL as on SQLite."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.support import LiveClient, ServerProcess


@contextlib.contextmanager
def running(db_url: str, log: Path, *, demo: bool = False) -> Iterator[ServerProcess]:
    server = ServerProcess(db_url, demo=demo, log_path=log).start()
    try:
        yield server
    finally:
        server.kill()


async def test_a_killed_server_on_postgresql_keeps_every_acked_op(
    db_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with running(db_url, log) as server:
        forum_id = server.new_forum("sos", "On PostgreSQL")["id"]
        client = await LiveClient.connect(server.ws_url(forum_id))
        sent = [
            await client.op({"type": "add_card", "column": "new", "title": f"Card {i}"})
            for i in range(5)
        ]
        columns = ("removing", "needs-eat", "new", "removed")
        sent += [
            await client.op(
                {"type": "move_card", "card": f"c{1 + i % 5}", "column": columns[i % 4], "index": 0}
            )
            for i in range(12)
        ]
        assert all(a["type"] == "ack" for a in await client.answers(sent))
        for op in (
            {"type": "start_session"},
            {"type": "record_decision", "text": "Stay on PostgreSQL", "cards": ["c1"]},
            {"type": "end_session"},
        ):
            assert (await client.call(op))["type"] == "ack", op
        acked = {m["id"]: m["seq"] for m in client.received if m["type"] == "ack"}
        before = server.board(forum_id)
        assert before["seq"] == max(acked.values())
        server.kill()  # every op above was acked, so it is committed (SPEC R8)
        await client.close()

    with running(db_url, log) as server:
        after = server.board(forum_id)
        assert after == before
        assert [after["cards"][f"c{i}"]["title"] for i in range(1, 6)] == [
            f"Card {i}" for i in range(5)
        ]
        status, sessions = server.request("GET", f"/api/forums/{forum_id}/sessions")
        assert status == 200 and len(sessions) == 1
        session_id = sessions[0]["id"]
        assert sessions[0]["decisions"] == 1 and sessions[0]["ended_at"] is not None
        page = server.http("GET", f"/sessions/{session_id}")
        assert page.status == 200 and "Stay on PostgreSQL" in page.text
        for path in (
            "/sessions",
            "/decisions?q=postgresql",
            "/next-steps",
            f"/sessions/{session_id}/replay",
            f"/sessions/{session_id}/export.md",
            f"/sessions/{session_id}/export.json",
            f"/forums/{forum_id}/metrics",
            "/metrics",
            "/healthz",
        ):
            assert server.http("GET", path).status == 200, path
        status, found = server.request("GET", "/api/decisions?q=postgresql")
        assert status == 200 and [d["text"] for d in found["items"]] == ["Stay on PostgreSQL"]
        # The room goes on from the stored seq after the restart.
        again = await LiveClient.connect(server.ws_url(forum_id))
        answer = await again.call({"type": "add_card", "column": "new", "title": "After"})
        assert answer["type"] == "ack" and answer["seq"] == before["seq"] + 1
        await again.close()
        assert "Traceback" not in server.log(), server.log()


async def test_the_demo_network_is_seeded_on_postgresql(db_url: str, tmp_path: Path) -> None:
    with running(db_url, tmp_path / "demo.log", demo=True) as server:
        status, forums = server.request("GET", "/api/forums")
        assert status == 200 and len(forums) > 1
        for path in ("/", "/sessions", f"/forums/{forums[0]['id']}/metrics"):
            assert server.http("GET", path).status == 200, path
    with running(db_url, tmp_path / "demo.log", demo=True) as server:  # seeded once
        assert len(server.request("GET", "/api/forums")[1]) == len(forums)
