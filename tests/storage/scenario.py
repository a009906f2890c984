"""One small network's history, written through a ``Seeder``, that the read contract
tests ask about: two forums, three sessions of the first (the last still running),
one of the second."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from board import ops as o
from tests.storage.engines import Seeder


@dataclass
class Network:
    """Ids the tests look for (sessions in the order they started)."""

    sessions: list[str] = field(default_factory=list)
    cards: dict[str, str] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)


async def seed_network(seed: Seeder) -> Network:
    net = Network()
    await seed.forum("sos-a", "sos", "Alpha SoS")
    await seed.snapshot("sos-a")
    ci = await seed.do("sos-a", "Ana", o.AddCard(column="new", title="Flaky CI"))
    net.cards["ci"] = f"c{ci.item.seq}"
    # Session 1: a decision on the card, a step for Ben due long ago (still open).
    await seed.do("sos-a", "Ana", o.StartSession())
    await seed.do("sos-a", "Ana", o.RecordDecision(text="Fix CI first", cards=(net.cards["ci"],)))
    due = o.AddNextStep(text="Ask platform", owner="Ben", due=dt.date(2024, 1, 2))
    step = await seed.do("sos-a", "Ana", due)
    net.steps["ask"] = f"s{step.item.seq}"
    end = await seed.do("sos-a", "Ana", o.EndSession())
    assert end.board.last_session_id is not None
    net.sessions.append(end.board.last_session_id)
    # Session 2: a card moved, a decision with a LIKE wildcard in it, a step done.
    await seed.do("sos-a", "Ben", o.StartSession())
    await seed.do("sos-a", "Ben", o.MoveCard(card=net.cards["ci"], column="removing", index=0))
    await seed.do("sos-a", "Ben", o.RecordDecision(text="100% of tests_green"))
    done = await seed.do("sos-a", "Ben", o.AddNextStep(text="Quarantine tests", owner="Cleo"))
    net.steps["quarantine"] = f"s{done.item.seq}"
    step_id = net.steps["quarantine"]
    await seed.do("sos-a", "Ben", o.UpdateNextStep(step=step_id, status="done"))
    end = await seed.do("sos-a", "Ben", o.EndSession())
    assert end.board.last_session_id is not None
    net.sessions.append(end.board.last_session_id)
    # Session 3, still running: a decision naming the card.
    started = await seed.do("sos-a", "Cleo", o.StartSession())
    assert started.board.session is not None
    net.sessions.append(started.board.session.id)
    await seed.do("sos-a", "Cleo", o.RecordDecision(text="Keep going", cards=(net.cards["ci"],)))
    net.seqs["sos-a"] = seed.syncs["sos-a"].seq
    # Another forum: one session with a step for "ben" (owners match in any case).
    await seed.forum("sos-b", "sos", "Beta SoS")
    await seed.snapshot("sos-b")
    await seed.do("sos-b", "Dan", o.StartSession())
    await seed.do("sos-b", "Dan", o.AddNextStep(text="Call vendor", owner="ben"))
    end = await seed.do("sos-b", "Dan", o.EndSession())
    assert end.board.last_session_id is not None
    net.sessions.append(end.board.last_session_id)
    net.seqs["sos-b"] = seed.syncs["sos-b"].seq
    return net
