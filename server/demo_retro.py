"""The demo Scaled Retrospective's past session (SPEC R73): written, grouped, voted on
and ended, so its session page and exports show the vote it kept. The forum's board is
left without phases, ready for the next session."""

from __future__ import annotations

import datetime as dt
from typing import Final

from board import ops as o
from server.demo_chain import Script

DAY: Final = 24 * 3600.0
LATE: Final = "Dependencies are found at the sprint review: too late"
REVIEW: Final = "Review the dependency board at every refinement"
DAILY: Final = "The Scaled Daily Scrum runs 30 minutes"


def retro_session(retro: Script) -> None:
    """One session of ``retro`` (the demo's ``retro-q4``) with a vote, a decision made
    from the top of it and a next step."""
    ids = {c.title: c.id for c in retro.board.cards.values()}
    retro.at += 2 * DAY
    for op, who in (
        (o.StartSession(), "Maya Chen"),
        (o.SetPhase(phase="write"), "Maya Chen"),
        (o.AddCard(column="to-improve", title="Release notes are written the night before"),
         "Leo Martin"),
        (o.SetPhase(phase="reveal"), "Maya Chen"),
        (o.SetPhase(phase="group"), "Maya Chen"),
        (o.GroupCard(card=ids[REVIEW], with_card=ids[LATE], gather=True), "Ana Souza"),
    ):  # fmt: skip
        retro.do(who, op, minutes=3)
    group = f"g{retro.board.seq}"
    notes = f"c{retro.board.seq - 3}"
    retro.do("Ana Souza", o.NameGroup(group=group, title="Dependencies found late"))
    retro.do("Maya Chen", o.SetPhase(phase="vote"), minutes=4)
    votes = {
        "Ana Souza": (group, group, ids[DAILY]),
        "Leo Martin": (group, notes, notes),
        "Priya Nair": (group, ids[DAILY], notes),
        "Sam Okafor": (group, group, ids[DAILY]),
    }
    for who, targets in votes.items():
        for target in targets:
            retro.do(who, o.CastVote(target=target), minutes=0.5)
    for phase in ("discuss", "decide"):
        retro.do("Maya Chen", o.SetPhase(phase=phase), minutes=10)  # type: ignore[arg-type]
    retro.do(
        "Maya Chen",
        o.RecordDecision(text="Walk the dependency board at every refinement, from next sprint."),
    )
    retro.do(
        "Maya Chen",
        o.AddNextStep(
            text="Add the dependency board to the refinement agenda",
            owner="Leo Martin",
            due=dt.date.fromtimestamp(retro.at + 2 * DAY),
        ),
    )
    retro.do("Maya Chen", o.EndSession(), minutes=5)
