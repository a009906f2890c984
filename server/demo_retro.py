"""The demo Scaled Retrospective's past session (SPEC R73): written, grouped, voted on
and ended, so its session page and exports show the vote it kept. The forum's board is
left without phases, ready for the next session."""

from __future__ import annotations

import datetime as dt
from typing import Final

from board import ops as o
from server.demo_chain import Script

DAY: Final = 24 * 3600.0
NOTES: Final = "Release notes are written the night before"
HOTFIX: Final = "Hotfixes skip the integration tests"
LATE: Final = "Dependencies are found at the sprint review: too late"
DAILY: Final = "The Scaled Daily Scrum runs 30 minutes"


def retro_session(retro: Script) -> None:
    """One session of ``retro`` (the demo's ``retro-q4``): two cards written in it and
    grouped into a cluster, a vote, a decision made from the top of it and a next step.
    The cards the board started with are left ungrouped, as a next session finds them."""
    ids = {c.title: c.id for c in retro.board.cards.values()}
    retro.at += 2 * DAY
    retro.do("Maya Chen", o.StartSession())
    retro.do("Maya Chen", o.SetPhase(phase="write"))
    notes = retro.card("Leo Martin", "to-improve", NOTES)
    hotfix = retro.card("Priya Nair", "to-improve", HOTFIX)
    for phase in ("reveal", "group"):
        retro.do("Maya Chen", o.SetPhase(phase=phase), minutes=3)  # type: ignore[arg-type]
    retro.do("Ana Souza", o.GroupCard(card=hotfix, with_card=notes, gather=True))
    group = f"g{retro.board.seq}"
    retro.do("Ana Souza", o.NameGroup(group=group, title="Releases are rushed"))
    retro.do("Maya Chen", o.SetPhase(phase="vote"), minutes=4)
    votes = {
        "Ana Souza": (group, group, ids[DAILY]),
        "Leo Martin": (group, ids[LATE], ids[LATE]),
        "Priya Nair": (group, ids[DAILY], ids[LATE]),
        "Sam Okafor": (group, group, ids[DAILY]),
    }
    for who, targets in votes.items():
        for target in targets:
            retro.do(who, o.CastVote(target=target), minutes=0.5)
    for phase in ("discuss", "decide"):
        retro.do("Maya Chen", o.SetPhase(phase=phase), minutes=10)  # type: ignore[arg-type]
    retro.do(
        "Maya Chen",
        o.RecordDecision(text="Release notes and hotfixes go through the release checklist."),
    )
    retro.do(
        "Maya Chen",
        o.AddNextStep(
            text="Add release notes and hotfix tests to the release checklist",
            owner="Leo Martin",
            due=dt.date.fromtimestamp(retro.at + 2 * DAY),
        ),
    )
    retro.do("Maya Chen", o.EndSession(), minutes=5)
