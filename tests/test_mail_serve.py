"""Escalation between forums that live on different processes (SPEC R18, R18a): two real
``scaleboard serve`` processes on one PostgreSQL, the Scrum of Scrums pinned to the
first (its client is there) and its Executive Action Team to the second.

The ops for the other forum are mail, stored with the op that sent them and delivered
by whichever process runs the recipient's room: told at once through a signal
(PostgreSQL ``NOTIFY``, docs/scale-out.md#signals), else found by that process's sweep,
so a missed signal costs at most one sweep. A process killed right after the source's
commit loses no mail."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from board.mail import MAIL_PREFIX
from board.model import Board
from server.storage.postgres import PostgresStorage
from tests.support import LiveClient, ServerProcess, close_all
from tests.test_escalation_live import edited, event

LEASE = 1.0
SWEEP = 0.5
ARGS = ["--lease", str(LEASE), "--mail-sweep", str(SWEEP)]


def serve(
    db_url: str,
    log: Path,
    admin: str | None = None,
    port: int | None = None,
    more: tuple[str, ...] = (),
) -> ServerProcess:
    server = ServerProcess(db_url, log_path=log, extra_args=[*ARGS, *more], port=port)
    if admin is not None:
        server.admin_token = admin  # one network, one admin
    return server.start()


@contextlib.contextmanager
def two_servers(
    db_url: str, tmp_path: Path, b_args: tuple[str, ...] = (), a_args: tuple[str, ...] = ()
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = serve(db_url, tmp_path / "a.log", more=a_args)
    try:
        b = serve(db_url, tmp_path / "b.log", a.admin_token, more=b_args)
        try:
            yield a, b
        finally:
            if b.proc is not None and b.proc.poll() is None:
                os.kill(b.proc.pid, signal.SIGCONT)
            b.kill()
    finally:
        a.kill()


async def call(server: ServerProcess, *args: Any) -> tuple[int, Any]:
    return await asyncio.to_thread(server.request, *args)


async def network(a: ServerProcess, eat_name: str = "EAT") -> tuple[str, str]:
    """A new SoS and the EAT it escalates to (made through ``a``)."""
    sos = a.new_forum("sos", "SoS")["id"]
    eat = a.new_forum("eat", eat_name)["id"]
    status, out = await call(a, "POST", f"/api/forums/{sos}/escalates-to", {"forum": eat})
    assert status == 200, out
    return sos, eat


async def impediment(client: LiveClient, title: str) -> str:
    added = await client.call({"type": "add_card", "column": "needs-eat", "title": title})
    assert added["type"] == "ack", added
    return f"c{added['seq']}"


async def stored_board(db_url: str, forum_id: str) -> Board:
    storage = await PostgresStorage.open(db_url)
    try:
        loaded = await storage.log.load(forum_id)
        assert loaded is not None
        return loaded.board
    finally:
        await storage.close()


async def test_an_escalation_and_its_status_cross_processes(db_url: str, tmp_path: Path) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        sos, eat = await network(a)
        s = await LiveClient.connect(a.ws_url(sos))  # the SoS lives on a
        e = await LiveClient.connect(b.ws_url(eat))  # the EAT on b
        try:
            card = await impediment(s, "No test env")
            started = time.monotonic()
            status, out = await call(a, "POST", f"/api/forums/{sos}/cards/{card}/escalate")
            took = time.monotonic() - started
            assert status == 201, out  # the link came back through both sweeps
            assert took < 2 * SWEEP + 1.5, took
            target = out["target_card"]
            assert out["card"]["sent_to"]["card"] == target["id"]
            assert target["column"] == "escalated" and target["origin"]["card"] == card

            # The EAT's client on b saw the card arrive; the SoS's client on a its link.
            got = await event(
                e, lambda ev: ev["type"] == "card_added" and ev["card"]["id"] == target["id"]
            )
            assert got["card"]["title"] == "No test env"
            await event(
                s,
                lambda ev: (
                    ev["type"] == "card_edited" and ev["card"]["sent_to"]["card"] == target["id"]
                ),
            )

            # What the EAT does on b reaches the SoS card on a within a sweep.
            moved = {"type": "move_card", "card": target["id"], "column": "accepted", "index": 0}
            started = time.monotonic()
            assert (await e.call(moved))["type"] == "ack"
            accepted = await event(s, edited(card, "accepted"), timeout=SWEEP + 3)
            assert time.monotonic() - started < SWEEP + 1.5
            assert accepted["card"]["sent_to"]["label"] == "Accepted"
            back = {"type": "return_escalation", "card": target["id"], "note": "Teams own it"}
            assert (await e.call(back))["type"] == "ack"
            returned = await event(s, edited(card, "returned"), timeout=SWEEP + 3)
            assert returned["card"]["sent_to"]["note"] == "Teams own it"
            # Neither forum moved: each stayed with its process.
            assert "owner moved" not in a.log() + b.log()
        finally:
            await close_all([s, e])

    storage = await PostgresStorage.open(db_url)
    try:
        assert await storage.mail.waiting() == []  # every mail delivered
        ops = await storage.log.ops(eat, 1, 100)
        [receive] = [op for op in ops if (op.op_id or "").startswith(MAIL_PREFIX)]
        assert receive.op_type == "receive_escalation" and receive.op_id is not None
        mail = await storage.mail.get(int(receive.op_id.removeprefix(MAIL_PREFIX)))
        assert mail is not None and mail.outcome == "delivered" and mail.from_forum == sos
    finally:
        await storage.close()


async def test_a_refused_escalation_fails_with_the_reason_and_can_go_again(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        sos, eat = await network(a)
        s = await LiveClient.connect(a.ws_url(sos))
        e = await LiveClient.connect(b.ws_url(eat))
        try:
            # The EAT has no landing column any more: it cannot take the card.
            gone = await e.call({"type": "remove_column", "column": "escalated"})
            assert gone["type"] == "ack", gone
            card = await impediment(s, "Licences")
            status, out = await call(a, "POST", f"/api/forums/{sos}/cards/{card}/escalate")
            assert status == 409 and out["reason"].startswith("EAT did not take it: "), out
            reason = out["reason"].removeprefix("EAT did not take it: ")
            failed = await event(s, edited(card, "failed"))
            assert failed["card"]["sent_to"]["note"] == reason and reason

            # The admin points the SoS at another EAT (on b too): it goes there.
            other = a.new_forum("eat", "Other EAT")["id"]
            status, out = await call(a, "POST", f"/api/forums/{sos}/escalates-to", {"forum": other})
            assert status == 200, out
            e2 = await LiveClient.connect(b.ws_url(other))
            try:
                status, out = await call(a, "POST", f"/api/forums/{sos}/cards/{card}/escalate")
                assert status == 201, out
                assert (
                    out["target_forum"] == other and out["card"]["sent_to"]["status"] == "escalated"
                )
            finally:
                await e2.close()
        finally:
            await close_all([s, e])
    eat_board = await stored_board(db_url, eat)
    assert not any(c.origin is not None for c in eat_board.cards.values())  # nothing arrived


async def test_a_kill_right_after_the_source_commit_loses_no_mail(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        assert a.proc is not None and b.proc is not None
        sos, eat = await network(a)
        s = await LiveClient.connect(a.ws_url(sos))
        e = await LiveClient.connect(b.ws_url(eat))
        cards = [await impediment(s, f"Impediment {i}") for i in range(3)]
        await close_all([s, e])
        storage = await PostgresStorage.open(db_url)
        try:
            os.kill(b.proc.pid, signal.SIGSTOP)  # the EAT's owner cannot take its mail now
            sending = [
                asyncio.create_task(call(a, "POST", f"/api/forums/{sos}/cards/{c}/escalate"))
                for c in cards
            ]
            deadline = time.monotonic() + 10
            while len(await storage.mail.pending(eat)) < len(cards):
                assert time.monotonic() < deadline, "the escalations were not committed"
                await asyncio.sleep(0.01)
            a.kill()  # right after the source's commit: the mail is only in the database
            await asyncio.gather(*sending, return_exceptions=True)
            assert len(await storage.mail.pending(eat)) == len(cards)  # nothing delivered
            os.kill(b.proc.pid, signal.SIGCONT)
            again = serve(db_url, tmp_path / "a2.log", a.admin_token, port=a.port)
            try:
                deadline = time.monotonic() + 20
                while await storage.mail.waiting():
                    assert time.monotonic() < deadline, await storage.mail.waiting()
                    await asyncio.sleep(0.1)
            finally:
                again.kill()
        finally:
            await storage.close()

    source = await stored_board(db_url, sos)
    target = await stored_board(db_url, eat)
    copies = {c.origin.card: c.id for c in target.cards.values() if c.origin is not None}
    assert sorted(copies) == sorted(cards)  # each arrived once: none lost, none twice
    for card in cards:
        link = source.cards[card].sent_to
        assert link is not None and link.card == copies[card] and link.status == "escalated"


async def test_an_escalation_not_answered_in_time_is_accepted_with_202(
    db_url: str, tmp_path: Path
) -> None:
    """The EAT's process holds the EAT on a long lease and is paused (SIGSTOP): it can
    neither hear the signal nor sweep. The SoS's process answers after two of its leases
    and a second, 202 with the card as it is — sent, its link still to come — and the
    mail waits for the EAT."""
    slow = ("--mail-sweep", "600", "--lease", "30")
    with two_servers(db_url, tmp_path, b_args=slow) as (a, b):
        sos, eat = await network(a)
        s = await LiveClient.connect(a.ws_url(sos))
        e = await LiveClient.connect(b.ws_url(eat))
        try:
            card = await impediment(s, "Slow EAT")
            assert b.proc is not None
            os.kill(b.proc.pid, signal.SIGSTOP)
            started = time.monotonic()
            status, out = await call(a, "POST", f"/api/forums/{sos}/cards/{card}/escalate")
            took = time.monotonic() - started
            assert status == 202, out
            assert 2 * LEASE + 1 <= took < 2 * LEASE + 3, took
            assert out["target_forum"] == eat and "target_card" not in out
            link = out["card"]["sent_to"]
            assert (link["forum"], link["status"], link["card"]) == (eat, "escalated", "")
            storage = await PostgresStorage.open(db_url)
            try:
                [waiting] = await storage.mail.pending(eat)
                assert waiting.from_forum == sos and waiting.op.from_card == card  # type: ignore[union-attr]
            finally:
                await storage.close()
            os.kill(b.proc.pid, signal.SIGCONT)  # resumed, it hears the signal and delivers
            await event(
                s, lambda ev: ev["type"] == "card_edited" and ev["card"]["sent_to"]["card"] != ""
            )
        finally:
            await close_all([s, e])


async def test_mail_crosses_processes_at_once_through_a_signal(db_url: str, tmp_path: Path) -> None:
    """Both processes sweep only every 10 minutes: the escalation, its link back and a
    status change still cross at once, each hop a ``NOTIFY`` heard by the owner."""
    slow = ("--mail-sweep", "600")
    with two_servers(db_url, tmp_path, b_args=slow, a_args=slow) as (a, b):
        sos, eat = await network(a)
        s = await LiveClient.connect(a.ws_url(sos))
        e = await LiveClient.connect(b.ws_url(eat))
        try:
            card = await impediment(s, "Heard at once")
            started = time.monotonic()
            status, out = await call(a, "POST", f"/api/forums/{sos}/cards/{card}/escalate")
            assert status == 201, out
            assert time.monotonic() - started < 1.0
            target = out["target_card"]["id"]
            moved = {"type": "move_card", "card": target, "column": "accepted", "index": 0}
            started = time.monotonic()
            assert (await e.call(moved))["type"] == "ack"
            await event(s, edited(card, "accepted"), timeout=3)
            assert time.monotonic() - started < 0.5
        finally:
            await close_all([s, e])
