"""Outgoing webhooks against a real server and a real receiver process (SPEC R60–R64):
every kind delivered, signed, once per idempotency key; chat formats with a link back;
a kill -9 mid-stream loses no event and sends none for an op never committed; a
failing endpoint is retried, then paused, then resumed; a timeout is an error in the
log; bad input is refused with a reason."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from board.outgoing import KINDS
from tests.receiver import Receiver
from tests.support import LiveClient, ServerProcess, close_all, free_port

FAST = ["--hook-retry", "0.05", "--hook-timeout", "0.5"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port()).start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that retries webhooks fast (its own file)."""
    db = Path(tmp_path_factory.mktemp("hooks")) / "board.db"
    proc = ServerProcess(db, extra_args=FAST).start()
    yield proc
    proc.stop()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def subscribe(
    server: ServerProcess,
    receiver: Receiver,
    path: str,
    kinds: list[str],
    *,
    forum_id: str | None = None,
    fmt: str = "json",
    token: str | None = None,
) -> dict[str, Any]:
    """Subscribe ``receiver``'s ``path``: through the forum's API with ``token`` (a
    facilitator's), else as the admin; the receiver learns the secret."""
    body = {"url": receiver.url(path), "kinds": kinds, "format": fmt}
    if token is not None:
        assert forum_id is not None
        status, sub = server.request(
            "POST", f"/api/forums/{forum_id}/hooks", body, headers=bearer(token)
        )
    else:
        status, sub = server.request("POST", "/api/hooks", {**body, "forum_id": forum_id})
    assert status == 201, sub
    assert sub["secret"].startswith("whsec_")
    receiver.control(secrets={f"/{path}": sub["secret"]})
    return dict(sub)


def bodies(stats: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return list(stats["bodies"].get(f"/{path}", []))


async def call(server: ServerProcess, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    return await asyncio.to_thread(server.request, *args, **kwargs)


async def test_every_kind_is_delivered_signed_once_with_a_link_back(
    hooked: ServerProcess, receiver: Receiver
) -> None:  # SPEC R60, R62, R63
    server = hooked
    receiver.control(mode="ok")
    sos = server.new_forum("sos", "SoS Hooks")
    eat = server.new_forum("eat", "EAT Hooks")
    status, _ = server.request(
        "POST", f"/api/forums/{sos['id']}/escalates-to", {"forum": eat["id"]}
    )
    assert status == 200
    facilitator = server.links(sos["id"])["facilitator"]
    every = subscribe(server, receiver, "all-kinds", list(KINDS), forum_id=sos["id"])
    slack = subscribe(
        server,
        receiver,
        "sos-slack",
        ["escalation.raised", "escalation.returned", "session.ended"],
        forum_id=sos["id"],
        fmt="slack",
        token=facilitator,
    )
    teams = subscribe(server, receiver, "eat-teams", ["escalation.accepted"], fmt="teams")
    mattermost = subscribe(
        server, receiver, "eat-mm", ["escalation.removed"], forum_id=eat["id"], fmt="mattermost"
    )
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    try:
        base = f"/api/forums/{sos['id']}"
        assert (await call(server, "POST", f"{base}/sessions", {}))[0] == 201
        added = await s.call({"type": "add_card", "column": "needs-eat", "title": "No <test> env"})
        card = f"c{added['seq']}"
        status, out = await call(server, "POST", f"{base}/cards/{card}/escalate")
        assert status == 201, out
        target = out["target_card"]["id"]
        await asyncio.sleep(0.3)  # the EAT card is made by mail
        for column in ("accepted", "in-progress", "removed"):
            move = {"type": "move_card", "card": target, "column": column, "index": 0}
            assert (await e.call(move))["type"] == "ack"
        second = await s.call({"type": "add_card", "column": "new", "title": "Licences"})
        status, out = await call(server, "POST", f"{base}/cards/c{second['seq']}/escalate")
        assert status == 201, out
        ret = {"type": "return_escalation", "card": out["target_card"]["id"], "note": "Yours"}
        assert (await e.call(ret))["type"] == "ack"
        assert (await call(server, "POST", f"{base}/decisions", {"text": "Ship *it*"}))[0] == 201
        status, step = await call(
            server, "POST", f"{base}/next-steps", {"text": "Book", "owner": "Ann"}
        )
        assert status == 201, step
        done = await call(server, "PATCH", f"{base}/next-steps/{step['id']}", {"status": "done"})
        assert done[0] == 200, done
        assert (await call(server, "POST", f"{base}/sessions/current/end", {}))[0] == 201
    finally:
        await close_all([s, e])

    wanted = {
        "escalation.raised": 2,
        "escalation.accepted": 1,
        "escalation.removed": 1,
        "escalation.returned": 1,
        "decision.recorded": 1,
        "next_step.created": 1,
        "next_step.done": 1,
        "session.ended": 1,
    }

    def arrived(stats: dict[str, Any]) -> bool:
        return len(bodies(stats, "all-kinds")) >= sum(wanted.values()) and all(
            len(bodies(stats, p)) >= n
            for p, n in (("sos-slack", 4), ("eat-teams", 1), ("eat-mm", 1))
        )

    stats = receiver.wait_for(arrived)
    assert stats["bad"] == 0  # every request verified
    got = bodies(stats, "all-kinds")
    kinds: dict[str, int] = {}
    for b in got:
        kinds[b["kind"]] = kinds.get(b["kind"], 0) + 1
    assert kinds == wanted  # every kind, each once: the EAT's "in progress" makes none
    counts = stats["counts"]["/all-kinds"]
    assert sorted(counts) == sorted(b["id"] for b in got) and set(counts.values()) == {1}
    raised = next(b for b in got if b["card"] and b["card"]["id"] == card)  # any order
    assert raised["kind"] == "escalation.raised" and raised["card"]["title"] == "No <test> env"
    assert raised["forums"] == [sos["id"], eat["id"]]
    assert raised["url"] == f"{server.url}/forums/{sos['id']}#card-{card}"
    ended = next(b for b in got if b["kind"] == "session.ended")
    assert "### Decisions\n- Ship \\*it\\*" in ended["summary"]
    assert "- Book — Ann (done)" in ended["summary"]
    assert ended["url"] == f"{server.url}/sessions/{ended['session']['id']}"

    slack_texts = [b["text"] for b in bodies(stats, "sos-slack")]
    assert any("No &lt;test&gt; env" in t for t in slack_texts)  # escaped, not markup
    assert any(
        f"<{server.url}/forums/{sos['id']}#card-{card}|Open in Scaleboard>" in t
        for t in slack_texts
    )
    assert any(
        t.startswith("*Session ended in SoS Hooks*") and "Ship *it*" in t for t in slack_texts
    )
    [card_msg] = bodies(stats, "eat-teams")
    content = card_msg["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard"
    assert content["body"][0]["text"] == "Escalation accepted in EAT Hooks"
    assert content["actions"][0]["url"].startswith(f"{server.url}/forums/{eat['id']}#card-")
    [mm] = bodies(stats, "eat-mm")
    assert mm["text"].startswith("**Escalated impediment removed in EAT Hooks**")
    assert "[Open in Scaleboard](" in mm["text"]

    # The delivery log says so, to the facilitator too; never the secret again.
    status, log = server.request(
        "GET",
        f"/api/forums/{sos['id']}/hooks/{slack['id']}/deliveries",
        headers=bearer(facilitator),
    )
    assert status == 200 and {d["status"] for d in log} == {"delivered"} and len(log) == 4
    status, listed = server.request(
        "GET", f"/api/forums/{sos['id']}/hooks", headers=bearer(facilitator)
    )
    assert status == 200 and [x["id"] for x in listed] == [every["id"], slack["id"]]
    assert all(x["secret"] is None for x in listed)
    for sub in (every, teams, mattermost, slack):
        assert server.request("DELETE", f"/api/hooks/{sub['id']}")[0] == 204


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store a test's own server runs on: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "board.db")
    return str(request.getfixturevalue("db_url"))


async def test_a_kill_9_mid_stream_loses_no_event_and_sends_none_uncommitted(
    tmp_path: Path, receiver: Receiver, where: str
) -> None:  # SPEC R61, R62
    # A timeout a busy machine's restart never reaches (8 in a row would pause it).
    patient = ["--hook-retry", "0.05", "--hook-timeout", "5"]
    server = ServerProcess(where, extra_args=patient, log_path=tmp_path / "server.log").start()
    receiver.control(mode="slow", delay=0.05)  # deliveries are still queued at the kill
    try:
        forum = server.new_forum("sos", "SoS Crash")
        path = f"crash-{forum['id']}"
        subscribe(server, receiver, path, ["decision.recorded"], forum_id=forum["id"])
        assert server.request("POST", f"/api/forums/{forum['id']}/sessions", {})[0] == 201
        client = await LiveClient.connect(server.ws_url(forum["id"]))
        texts: dict[str, str] = {}

        async def flood() -> None:  # ops keep coming while the server dies
            for i in range(100_000):
                texts[await client.op({"type": "record_decision", "text": f"D{i}"})] = f"D{i}"
                await asyncio.sleep(0.002)

        sending = asyncio.create_task(flood())
        acked: set[str] = set()
        while len(acked) < 60:  # some committed, more in flight
            acked.add((await client.expect("ack", timeout=10))["id"])
        server.kill()
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        await client.close()
        acked_texts = {texts[i] for i in acked}

        server.start()
        board = server.board(forum["id"])
        committed = {d["text"] for d in board["session"]["decisions"]}
        assert acked_texts <= committed  # SPEC R8: every ack was durable
        assert committed <= set(texts.values())
        receiver.control(mode="ok")
        stats = receiver.wait_for(
            lambda st: {b["decision"] for b in bodies(st, path)} >= committed, timeout=30
        )
        delivered = {b["decision"] for b in bodies(stats, path)}
        assert delivered == committed  # every committed one, and none other
        keys = stats["counts"][f"/{path}"]
        assert len(keys) == len(committed)  # one key per event, whatever the repeats
        assert stats["bad"] == 0
    finally:
        server.stop()


async def test_a_failing_endpoint_is_retried_then_paused_then_resumed(
    hooked: ServerProcess, receiver: Receiver
) -> None:  # SPEC R62, R64
    server = hooked
    forum = server.new_forum("sos", "SoS Failing")
    sub = subscribe(server, receiver, "failing", ["decision.recorded"], forum_id=forum["id"])
    receiver.control(mode="fail", status=503)
    status, sent = server.request("POST", f"/api/hooks/{sub['id']}/test")
    assert status == 202, sent

    def paused() -> dict[str, Any]:
        _, subs = server.request("GET", "/api/hooks")
        return next(s for s in subs if s["id"] == sub["id"])

    deadline = asyncio.get_running_loop().time() + 30
    while not paused()["paused"]:
        assert asyncio.get_running_loop().time() < deadline, paused()
        await asyncio.sleep(0.1)
    assert paused()["failures"] == 8
    await asyncio.sleep(0.5)  # paused: nothing more is sent
    assert receiver.stats()["attempts"]["/failing"] == 8
    _, [d] = server.request("GET", f"/api/hooks/{sub['id']}/deliveries")
    assert (d["status"], d["attempts"], d["last_error"], d["last_status"]) == (
        "pending",
        8,
        "HTTP 503",
        503,
    )
    assert d["event_key"] == sent["event_id"] and d["kind"] == "test"

    receiver.control(mode="ok")
    status, resumed = server.request("POST", f"/api/hooks/{sub['id']}/resume")
    assert status == 200 and not resumed["paused"] and resumed["failures"] == 0
    stats = receiver.wait_for(lambda st: sent["event_id"] in st["counts"].get("/failing", {}))
    assert stats["counts"]["/failing"][sent["event_id"]] == 1
    _, [d] = server.request("GET", f"/api/hooks/{sub['id']}/deliveries")
    assert (d["status"], d["attempts"], d["last_status"]) == ("delivered", 9, 204)


async def test_a_receiver_that_never_answers_is_a_timeout_in_the_log(
    hooked: ServerProcess, receiver: Receiver
) -> None:  # SPEC R62
    server = hooked
    sub = subscribe(server, receiver, "silent", ["decision.recorded"])
    receiver.control(mode="timeout", delay=1.5)
    assert server.request("POST", f"/api/hooks/{sub['id']}/test")[0] == 202
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        _, [d] = server.request("GET", f"/api/hooks/{sub['id']}/deliveries")
        if d["attempts"] >= 1:
            break
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    assert d["status"] == "pending" and d["last_error"] == "no answer within 0.5 s"
    assert d["last_status"] is None
    receiver.control(mode="ok")
    assert server.request("DELETE", f"/api/hooks/{sub['id']}")[0] == 204


def test_bad_subscriptions_are_refused_with_a_reason(hooked: ServerProcess) -> None:
    server = hooked
    forum = server.new_forum("sos", "SoS Refusals")
    other = server.new_forum("sos", "SoS Other")
    tokens = server.links(forum["id"])
    path = f"/api/forums/{forum['id']}/hooks"
    good = {"url": "https://example.org/hook", "kinds": ["decision.recorded"]}
    cases = [
        ({**good, "url": "file:///etc/passwd"}, "Only http:// and https://"),
        ({**good, "url": "gopher://x"}, "Only http:// and https://"),
        ({**good, "url": "http://"}, "Only http:// and https://"),
        ({**good, "url": "http://exa mple.org/"}, "control characters"),
        ({**good, "url": "http://example.org:99999/"}, "not a URL"),
        ({**good, "kinds": ["standard.retired"]}, "Unknown event kinds"),
        ({**good, "kinds": []}, "at least one"),
        ({**good, "format": "irc"}, "Choose a format"),
    ]
    for body, reason in cases:
        status, out = server.request("POST", path, body, headers=bearer(tokens["facilitator"]))
        assert status == 400 and reason in out["reason"], (body, out)
    status, out = server.request("POST", path, {**good, "extra": 1})
    assert status == 400 and out["code"] == "invalid"
    status, out = server.request("POST", path, good, headers=bearer(tokens["participant"]))
    assert status == 403
    status, out = server.request("POST", "/api/hooks", {**good, "forum_id": "nope"})
    assert status == 400 and "no forum" in out["reason"]
    status, mine = server.request("POST", path, good, headers=bearer(tokens["facilitator"]))
    assert status == 201
    # Another forum's facilitator cannot see, test, resume or delete it.
    theirs = bearer(server.links(other["id"])["facilitator"])
    base = f"/api/forums/{other['id']}/hooks/{mine['id']}"
    assert server.request("GET", f"{base}/deliveries", headers=theirs)[0] == 404
    assert server.request("POST", f"{base}/test", headers=theirs)[0] == 404
    assert server.request("DELETE", base, headers=theirs)[0] == 404
    _, listed = server.request("GET", "/api/hooks")
    assert mine["id"] in [s["id"] for s in listed]  # nothing changed
    # The form answers the page again with the reason, and makes nothing.
    page = server.form(
        f"/forums/{forum['id']}/integrations",
        {"url": "javascript:alert(1)", "format": "json", "kind:decision.recorded": "1"},
    )
    assert page.status == 400 and "Only http:// and https://" in page.text
    page = server.form(
        f"/forums/{forum['id']}/integrations",
        {"url": "https://example.org/x", "format": "slack", "kind:session.ended": "1"},
    )
    assert page.status == 201 and "whsec_" in page.text and 'id="new-secret"' in page.text
    listing = server.http("GET", f"/forums/{forum['id']}/integrations")
    assert listing.status == 200 and "whsec_" not in listing.text  # shown once
    assert "https://example.org/x" in listing.text and "Send a test event" in listing.text
    _, subs = server.request("GET", path, headers=bearer(tokens["facilitator"]))
    assert len(subs) == 2
    for s in subs:
        assert server.request("DELETE", f"{path}/{s['id']}")[0] == 204


async def test_the_worker_takes_a_wake_before_it_is_ready_and_comes_back_if_killed(
    tmp_path: Path, receiver: Receiver
) -> None:  # SPEC R62: sending goes on whatever happens to the worker process
    db = tmp_path / "board.db"
    server = ServerProcess(db, extra_args=FAST).start()
    try:
        receiver.control(mode="ok")
        sub = subscribe(server, receiver, "worker", ["decision.recorded"])
        # At once: the worker may still be starting (a signal then would end it).
        first = server.request("POST", f"/api/hooks/{sub['id']}/test")[1]["event_id"]
        receiver.wait_for(lambda st: first in st["counts"].get("/worker", {}))
        found = subprocess.run(
            ["pgrep", "-f", f"server.hooks.worker --db {db}"], capture_output=True, text=True
        )
        [pid] = [int(p) for p in found.stdout.split()]
        os.kill(pid, signal.SIGKILL)
        second = server.request("POST", f"/api/hooks/{sub['id']}/test")[1]["event_id"]
        receiver.wait_for(lambda st: second in st["counts"].get("/worker", {}))
        again = subprocess.run(
            ["pgrep", "-f", f"server.hooks.worker --db {db}"], capture_output=True, text=True
        )
        assert [int(p) for p in again.stdout.split()] != [pid]  # a new one
    finally:
        server.stop()
    gone = subprocess.run(["pgrep", "-f", f"server.hooks.worker --db {db}"], capture_output=True)
    assert gone.stdout == b""  # stopped with the server


def test_two_processes_on_one_postgresql_send_each_event_once(
    db_url: str, tmp_path: Path, receiver: Receiver
) -> None:  # SPEC R62: in a cluster, one process sends a given delivery
    servers = [
        ServerProcess(db_url, extra_args=FAST, log_path=tmp_path / f"p{i}.log") for i in range(2)
    ]
    servers[1].admin_token = servers[0].admin_token  # one instance, one admin
    for s in servers:
        s.start()
    try:
        a = servers[0]  # the ops go through one; both workers send
        receiver.control(mode="slow", delay=0.02)
        forum = a.new_forum("sos", "SoS Cluster")
        path = f"cluster-{forum['id']}"
        subscribe(a, receiver, path, ["decision.recorded"], forum_id=forum["id"])
        assert a.request("POST", f"/api/forums/{forum['id']}/sessions", {})[0] == 201
        for i in range(40):
            status, _ = a.request("POST", f"/api/forums/{forum['id']}/decisions", {"text": f"D{i}"})
            assert status == 201
        stats = receiver.wait_for(lambda st: len(st["counts"].get(f"/{path}", {})) == 40)
        assert set(stats["counts"][f"/{path}"].values()) == {1}  # none sent twice
        assert stats["bad"] == 0
    finally:
        for s in servers:
            s.stop()
