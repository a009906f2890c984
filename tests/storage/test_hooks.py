"""The contract of outgoing webhooks (``Storage.hooks``, SPEC R60–R64) on every engine:
an op's events and their deliveries are written in the transaction that logs it (none
for an op whose append failed), a subscription gets the kinds and forums it asked for,
a claim takes a delivery once while its lease runs, failures pause a subscription and
resuming makes what waited due."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from board import ops as o
from board.outgoing import ForumRef, probe_event, step_due
from server.storage import Storage, StoreError
from server.storage.hooks import Subscription
from tests.storage.plays import Play
from tests.storage.test_mail import Pair

NOW = 2_000.0


def sub(id_: str, forum_id: str | None, kinds: tuple[str, ...]) -> Subscription:
    return Subscription(
        id=id_,
        forum_id=forum_id,
        url=f"http://127.0.0.1:9/{id_}",
        format="json",
        kinds=kinds,
        secret="s3cret",
        created_at=1.0,
        created_by="admin",
        base_url="http://board.example",
    )


async def test_events_are_written_with_their_op_for_the_subscriptions_that_want_them(
    storage: Storage,
) -> None:  # SPEC R60, R61
    await storage.hooks.subscribe(sub("all", None, ("escalation.raised", "decision.recorded")))
    await storage.hooks.subscribe(sub("sos", "sos", ("escalation.raised",)))
    await storage.hooks.subscribe(sub("eat", "eat", ("escalation.raised",)))
    await storage.hooks.subscribe(sub("other", "elsewhere", ("escalation.raised",)))
    await storage.hooks.subscribe(sub("dec", "sos", ("decision.recorded",)))
    pair = Pair(storage)
    await pair.create()
    await pair.escalated("No test env")
    [event] = await storage.hooks.events("sos")
    assert event.kind == "escalation.raised" and event.forums == ("sos", "eat")
    assert event.card is not None and event.card.title == "No test env"
    assert event.id == f"sos:{pair.sos.accepted[-1].item.seq}:0"
    for wanted in ("all", "sos", "eat"):  # the escalation concerns both forums
        [d] = await storage.hooks.deliveries(wanted)
        assert (d.event_key, d.kind, d.status, d.attempts) == (event.id, event.kind, "pending", 0)
    assert await storage.hooks.deliveries("other") == []
    assert await storage.hooks.deliveries("dec") == []


async def test_an_append_that_fails_writes_no_event(storage: Storage) -> None:  # SPEC R61
    await storage.hooks.subscribe(sub("all", None, ("escalation.raised",)))
    pair = Pair(storage)
    await pair.create()
    added = pair.sos.do(o.AddCard(column="needs-eat", title="x"))
    card = added.item.events[0].card.id  # type: ignore[union-attr]
    pair.sos.do(o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat"))
    with pytest.raises(StoreError):  # a gap in the seqs: nothing of it is written
        await storage.log.append("sos", pair.sos.accepted[-1:], pair.sos.at)
    assert await storage.hooks.events() == []
    assert await storage.hooks.deliveries("all") == []


async def test_a_claim_takes_each_delivery_once_while_its_lease_runs(
    storage: Storage,
) -> None:  # SPEC R62
    await storage.hooks.subscribe(sub("a", None, ("escalation.raised",)))
    pair = Pair(storage)
    await pair.create()
    await pair.escalated()
    [c] = await storage.hooks.claim(NOW, 30.0, 10)
    assert (c.sub_id, c.url, c.format, c.secret, c.attempts) == (
        "a",
        "http://127.0.0.1:9/a",
        "json",
        "s3cret",
        0,
    )
    assert b'"kind":"escalation.raised"' in c.body
    assert await storage.hooks.claim(NOW + 1, 30.0, 10) == []  # leased
    [again] = await storage.hooks.claim(NOW + 31, 30.0, 10)  # its process died: taken over
    assert again.event_key == c.event_key
    await storage.hooks.delivered(again, NOW + 32, 204)
    [d] = await storage.hooks.deliveries("a")
    assert (d.status, d.attempts, d.last_status, d.delivered_at) == ("delivered", 1, 204, NOW + 32)
    assert await storage.hooks.claim(NOW + 100, 30.0, 10) == []


async def test_failures_retry_then_pause_and_resume_makes_them_due(
    storage: Storage,
) -> None:  # SPEC R64
    await storage.hooks.subscribe(sub("a", "f1", ("decision.recorded",)))
    play = Play("f1")
    await storage.forums.create(play.first, play.at)
    await storage.log.load("f1")
    play.do(o.StartSession())
    play.do(o.RecordDecision(text="Ship it"))
    play.do(o.RecordDecision(text="Ship it again"))
    await storage.log.append("f1", play.accepted, play.at)
    assert len(await storage.hooks.deliveries("a")) == 2
    at = NOW
    for attempt in range(1, 3):
        claims = await storage.hooks.claim(at, 30.0, 1)
        assert len(claims) == 1
        await storage.hooks.failed(
            claims[0], at, "HTTP 500", 500, at + 10, give_up=5, pause_after=2
        )
        at += 10
        found = await storage.hooks.get("a")
        assert found is not None and found.failures == attempt
    paused = await storage.hooks.get("a")
    assert paused is not None and paused.paused
    assert await storage.hooks.claim(at + 1000, 30.0, 10) == []  # paused: nothing goes
    await storage.hooks.resume("a", at)
    resumed = await storage.hooks.get("a")
    assert resumed is not None and not resumed.paused and resumed.failures == 0
    due = await storage.hooks.claim(at, 30.0, 10)
    assert len(due) == 2
    errors = {d.last_error for d in await storage.hooks.deliveries("a")}
    assert "HTTP 500" in errors


async def test_a_delivery_is_given_up_after_its_attempts(storage: Storage) -> None:  # SPEC R64
    await storage.hooks.subscribe(sub("a", None, ("test",)))
    await storage.hooks.emit([probe_event(None, "t1", NOW)], only="a")
    for i in range(3):
        [c] = await storage.hooks.claim(NOW + i, 30.0, 10)
        await storage.hooks.failed(c, NOW + i, "timeout", None, NOW + i, give_up=3, pause_after=99)
    [d] = await storage.hooks.deliveries("a")
    assert (d.status, d.attempts, d.last_error, d.last_status) == ("failed", 3, "timeout", None)
    assert await storage.hooks.claim(NOW + 100, 30.0, 10) == []


async def test_clock_events_are_written_once_and_unsubscribe_drops_deliveries(
    storage: Storage,
) -> None:  # SPEC R60
    play = Play("f1", name="SoS")
    await storage.forums.create(play.first, play.at)
    await storage.log.load("f1")
    await storage.hooks.subscribe(sub("a", "f1", ("next_step.overdue", "next_step.due")))
    play.do(o.StartSession())
    play.do(o.AddNextStep(text="Book the room", owner="Ann", due=dt.date(2026, 1, 5)))
    play.do(o.AddNextStep(text="Later", due=dt.date(2026, 3, 1)))
    await storage.log.append("f1", play.accepted, play.at)
    today = dt.date(2026, 1, 6)
    [due] = await storage.hooks.due_steps(today)
    assert (due.forum_name, due.text, due.owner, due.due) == (
        "SoS",
        "Book the room",
        "Ann",
        dt.date(2026, 1, 5),
    )
    forum = ForumRef(id=due.forum_id, name=due.forum_name, kind=due.forum_kind)
    for _ in range(2):  # a sweep run twice writes the event once
        made = [
            e
            for s in await storage.hooks.due_steps(today)
            if (e := step_due(forum, s.step(), today, NOW)) is not None
        ]
        await storage.hooks.emit(made)
    kinds = [e.kind for e in await storage.hooks.events("f1")]
    assert kinds == ["next_step.created", "next_step.created", "next_step.overdue"]
    assert len(await storage.hooks.deliveries("a")) == 1
    await storage.hooks.unsubscribe("a")
    assert await storage.hooks.get("a") is None
    assert await storage.hooks.deliveries("a") == []
    assert [s.id for s in await storage.hooks.subscriptions()] == []


async def test_claims_at_the_same_moment_never_share_a_delivery(
    storage: Storage,
) -> None:  # SPEC R62: processes of a cluster each send a delivery the others do not
    await storage.hooks.subscribe(sub("a", None, ("test",)))
    await storage.hooks.subscribe(sub("b", None, ("test",)))
    events = [probe_event(None, f"t{i}", NOW) for i in range(12)]
    for only in ("a", "b"):
        await storage.hooks.emit(events, only=only)
    claims = await asyncio.gather(*(storage.hooks.claim(NOW, 30.0, 7) for _ in range(4)))
    taken = [(c.sub_id, c.event_key) for batch in claims for c in batch]
    assert len(taken) == len(set(taken)) == 24  # every one, once
