"""The demo network a new database starts with: five teams and one forum of each kind,
plus a second Scrum of Scrums and a Scrum of Scrums of Scrums above both (SPEC R72,
``server/demo_chain.py``), and a past retrospective with its vote (``demo_retro.py``).

Boards are built by applying ordinary operations, so the demo has a real operation
log, and the Scrum of Scrums has a past session whose open next step is carried into
its next one. Its escalations to the EAT go the real way (SPEC R18a, R50): the
``escalate_card`` and every mail it and its answers send, applied on their forums in
order, so the two boards hold linked pairs — one waiting in Needs EAT, one returned
with a note and back in its column.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Final

from board import ops as o
from board import ops_backlog as ob
from board.apply import Context, apply
from board.chains import PARENT
from board.kinds import route
from board.log import Accepted, Item
from board.mail import mail_for
from board.model import Board, Team, new_board
from board.sds_ops import AnswerSds, NextSdsTeam, SetSdsSpeaker, StartSds
from server.demo_boards import FORUMS
from server.demo_chain import PARENTS, PLATFORM, chain_scripts, escalate_up
from server.demo_retro import retro_session
from server.demo_standards import standards_and_feedback
from server.storage.forums import ForumDirectory

# Where the demo forums send cards (``board.kinds.ROUTES``, by relation): SoS → EAT and
# MetaScrum → Executive MetaScrum (escalation), SoS → MetaScrum (needs product work),
# Scaled Retrospective → EAT (improvements).
FORUM_LINKS = (
    ("sos-commerce", "escalates_to", "eat"),
    ("metascrum-commerce", "escalates_to", "ems"),
    ("sos-commerce", "product_to", "metascrum-commerce"),
    ("retro-q4", "improves_to", "eat"),
    ("metascrum-commerce", "backlog_in", "backlog-commerce"),
    ("sos-of-sos", "escalates_to", "eat"),
)
# Which teams the demo's Scrum of Scrums serves (the network page draws it).
SERVES = (
    ("sos-commerce", ("checkout", "payments", "search", "mobile")),
    (PLATFORM, ("platform",)),
)

TEAMS = [
    Team("checkout", "Checkout", "#1f77b4"),
    Team("payments", "Payments", "#d62728"),
    Team("search", "Search", "#2ca02c"),
    Team("mobile", "Mobile", "#9467bd"),
    Team("platform", "Platform", "#ff7f0e"),
]

# The teams each demo person speaks for in the Scrum of Scrums (SPEC R52).
MEMBERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Maya Chen", ("platform",)),
    ("Leo Martin", ("checkout",)),
    ("Ana Souza", ("checkout",)),
    ("Priya Nair", ("payments",)),
    ("Sam Okafor", ("mobile",)),
)

DAY = 24 * 3600.0
HOUR = 3600.0
ACCESS = "Production read access needs a VP's sign-off"


@dataclass
class Script:
    """Operations applied in order, each by someone at some time."""

    board: Board
    at: float
    history: list[Accepted] = field(default_factory=list)  # each op, and the board after it

    def do(self, actor: str, op: o.Op, *, minutes: float = 1.0) -> bool:
        self.at += minutes * 60
        ctx = Context(seq=self.board.seq + 1, at=self.at, actor=actor)
        board, events = apply(self.board, op, ctx)
        if not events:  # changed nothing (a mail that found it so): no seq, as a room does
            return False
        self.board = board
        item = Item(seq=ctx.seq, op_id=None, actor=actor, at=self.at, op=op, events=tuple(events))
        self.history.append(Accepted(item=item, board=self.board))
        return True

    def card(self, actor: str, column: str, title: str, **fields: Any) -> str:
        self.do(actor, o.AddCard(column=column, title=title, **fields))
        return f"c{self.board.seq}"

    def send(self, actor: str, op: o.Op, scripts: dict[str, Script], *, minutes: float) -> None:
        """``do`` an op, then deliver the mail it sends (and the answers to that) on the
        forums it is for, by the same actor, a moment later each — as the server does."""
        if not self.do(actor, op, minutes=minutes):
            return
        last = self.history[-1]
        for mail in mail_for(last.item, last.board):
            there = scripts[mail.to_forum]
            there.at = max(there.at, self.at)
            there.send(actor, mail.op, scripts, minutes=0.1)


def _escalate(sos: Script, card: str, note: str, scripts: dict[str, Script]) -> None:
    way = route("sos", "escalate")
    assert way is not None
    eat = scripts["eat"].board
    op = o.EscalateCard(
        card=card, to_forum=eat.forum_id, to_name=eat.name, to_kind=eat.kind, note=note,
        wait_in=way.waits_in,
    )  # fmt: skip
    sos.send("Maya Chen", op, scripts, minutes=5)


def _linked_pairs(sos: Script, scripts: dict[str, Script]) -> None:
    """The SoS's escalations to the EAT, for real: production access waits in Needs
    EAT, linked to the EAT's card; the sprint-goal request came back with a note."""
    by_title = {c.title: c.id for c in sos.board.cards.values()}
    policy = "The approval policy is the EAT's: the SoS cannot change it."
    _escalate(sos, by_title[ACCESS], policy, scripts)
    add = o.AddCard(
        column="new",
        title="Search's sprint goal should include the ranking flag",
        team="mobile",
        body="Mobile's release waits for the flag; Search plans it for next quarter.",
    )
    sos.do("Sam Okafor", add, minutes=20)
    goal = f"c{sos.board.seq}"
    _escalate(sos, goal, "Could the EAT ask Search to plan the flag this sprint?", scripts)
    eat = scripts["eat"]
    copy = next(c.id for c in eat.board.cards.values() if c.origin and c.origin.card == goal)
    eat.at = max(eat.at, sos.at)
    eat.send(
        "Dana Weiss",
        o.ReturnEscalation(
            card=copy,
            note="Sprint goals are the team's own: agree it with Search in the SoS. "
            "The EAT removes impediments; it does not task teams.",
        ),
        scripts,
        minutes=60,
    )


def _scrum_of_scrums(start: float) -> Script:
    s = Script(new_board("sos-commerce", "sos", "Scrum of Scrums — Commerce"), start)
    staging = s.card(
        "Maya Chen",
        "new",
        "Staging environment goes down twice a week",
        team="platform",
        body="Teams lose half a day each time; integration tests cannot run.",
    )
    api = s.card(
        "Leo Martin",
        "new",
        "Checkout needs the payment-intent API before sprint 14",
        kind="dependency",
        team="checkout",
        to_team="payments",
        owner="Leo Martin",
    )
    schema = s.card(
        "Ana Souza",
        "new",
        "Cart schema changed by two teams in the same sprint",
        kind="risk",
        team="checkout",
        to_team="mobile",
    )
    review = s.card(
        "Priya Nair",
        "new",
        "Security review queue is three weeks long",
        team="payments",
        owner="Priya Nair",
    )
    flag = s.card(
        "Sam Okafor",
        "new",
        "Mobile release waits for the search ranking flag",
        kind="dependency",
        team="mobile",
        to_team="search",
    )
    access = s.card(
        "Maya Chen",
        "new",
        ACCESS,
        team="platform",
        body="Every on-call engineer needs it; approvals take days.",
    )
    flaky = s.card("Ana Souza", "new", "Flaky end-to-end suite blocks merges", team="checkout")
    s.card("Maya Chen", "new", "Scaled Daily Scrum moves to 09:15 from next week", kind="note")
    # Who speaks for which team here (SPEC R52); nobody is from Search, so the session
    # below is flagged for it: "Search is served by this forum but nobody from it took part."
    for person, teams in MEMBERS:
        s.do(person, o.SetMyTeams(teams=teams), minutes=1)
    # Session 1, a week ago.
    s.do("Maya Chen", o.StartSession(), minutes=60 * 24 * 4)
    s.do("Maya Chen", o.NotePresence(names=("Leo Martin", "Priya Nair", "Sam Okafor", "Ana Souza")))
    _scaled_daily(s)
    s.do("Ana Souza", o.MoveCard(card=flaky, column="removed", index=0), minutes=2)
    s.do("Priya Nair", o.MoveCard(card=review, column="removing", index=0), minutes=2)
    s.do("Maya Chen", o.MoveCard(card=access, column="needs-eat", index=0), minutes=3)
    s.do(
        "Maya Chen",
        o.RecordDecision(
            text="Production access goes to the EAT: the SoS cannot change the approval policy.",
            cards=(access,),
        ),
        minutes=1,
    )
    s.do(
        "Leo Martin",
        o.RecordDecision(
            text="Payments ships a stub of the payment-intent API by Friday so Checkout can integrate early.",
            cards=(api,),
        ),
        minutes=3,
    )
    s.do(
        "Maya Chen",
        o.AddNextStep(
            text="Ask the EAT for a standing slot in the security review queue",
            owner="Maya Chen",
            due=dt.date.fromtimestamp(s.at + 3 * DAY),
            cards=(review,),
        ),
    )
    s.do(
        "Leo Martin",
        o.AddNextStep(
            text="Publish the cart schema change plan to all teams",
            owner="Ana Souza",
            due=dt.date.fromtimestamp(s.at + 2 * DAY),
            cards=(schema,),
        ),
    )
    s.do(
        "Sam Okafor",
        o.AddNextStep(
            text="Agree a date for the search ranking flag with Search",
            owner="Sam Okafor",
            due=dt.date.fromtimestamp(s.at + 1 * DAY),
            cards=(flag,),
        ),
    )
    s.do("Maya Chen", o.EndSession(), minutes=6)
    # Since then.
    s.do(
        "Ana Souza",
        o.UpdateNextStep(step="s" + str(s.board.seq - 2), status="done"),
        minutes=60 * 24,
    )
    s.do("Leo Martin", o.MoveCard(card=api, column="removing", index=1), minutes=60 * 5)
    s.do("Maya Chen", o.EditCard(card=staging, owner="Maya Chen"), minutes=30)
    return s


# The Scaled Daily Scrum of session 1 (board/sds.py): who spoke for each served team,
# their answers (impediments, blocking, dependencies), minutes taken; None: skipped.
ROUND: Final = (
    ("checkout", "Ana Souza", ("Flaky end-to-end suite blocks merges", "", "Needs the payment-intent API stub"), 2.0),
    ("payments", "Priya Nair", ("Security review queue is three weeks long", "Checkout waits for our payment-intent API", ""), 2.5),
    ("search", None, ("", "", ""), 0.5),
    ("mobile", "Sam Okafor", ("", "", "Release waits for the search ranking flag"), 2.0),
    ("platform", "Maya Chen", ("Staging goes down twice a week", "", ""), 2.0),
)  # fmt: skip


def _scaled_daily(s: Script) -> None:
    """A completed round in the running session: four teams heard, Search skipped."""
    s.do("Maya Chen", StartSds(teams=tuple(team for team, *_ in ROUND)))
    for team, speaker, (impediments, blocking, dependencies), minutes in ROUND:
        if speaker is not None:
            s.do("Maya Chen", SetSdsSpeaker(team=team, speaker=speaker), minutes=0.2)
            answers = AnswerSds(
                team=team, impediments=impediments, blocking=blocking, dependencies=dependencies
            )
            s.do(speaker, answers, minutes=minutes - 0.2)
        s.do("Maya Chen", NextSdsTeam(team=team, skip=speaker is None), minutes=0.1)
    s.do("Maya Chen", o.ResetTimer(), minutes=0.1)  # the timebox ready for the next one


def _simple(
    forum_id: str,
    kind: str,
    name: str,
    start: float,
    cards: list[tuple[str, str, str, dict[str, str]]],
) -> Script:
    s = Script(new_board(forum_id, kind, name), start)
    for actor, column, title, fields in cards:
        s.card(actor, column, title, **fields)
    return s


def demo_scripts(now: float) -> list[Script]:
    """Every demo forum's script, its last op an hour or more before ``now``: the
    scripts step their own clocks (minutes per op, days between sessions), so they are
    built from a week ago and, if that ends after ``now - 1 h``, built again from as much
    earlier — a demo must never show links, sessions or decisions in the future."""
    scripts = _scripts(now - 7 * DAY)
    late = max(s.at for s in scripts) - (now - HOUR)
    return _scripts(now - 7 * DAY - late) if late > 0 else scripts


def _scripts(start: float) -> list[Script]:
    simple = [_simple(fid, kind, name, start, cards) for fid, kind, name, cards in FORUMS]
    sos = _scrum_of_scrums(start)
    scripts = {s.board.forum_id: s for s in (sos, *simple, *chain_scripts(start, Script))}
    _linked_pairs(sos, scripts)
    _one_backlog(scripts)
    _ems_decides(scripts)
    standards_and_feedback(scripts)  # SPEC R66–R68
    escalate_up(scripts)
    retro_session(scripts["retro-q4"])
    return list(scripts.values())


def _one_backlog(scripts: dict[str, Script]) -> None:
    """The MetaScrum and the Scaled Backlog paired for real (SPEC R57): each one's
    ordered items go to the other by mail, so both show one list in one order."""
    meta, backlog = scripts["metascrum-commerce"], scripts["backlog-commerce"]
    pair = ob.PairBacklog(forum=backlog.board.forum_id, name=backlog.board.name)
    meta.send("", pair, scripts, minutes=1)
    back = ob.PairBacklog(forum=meta.board.forum_id, name=meta.board.name)
    backlog.send("", back, scripts, minutes=1)


def _ems_decides(scripts: dict[str, Script]) -> None:
    """The MetaScrum asks the Executive MetaScrum about a parked item; the EMS decides in
    a session, and the MetaScrum's card shows the decision's text (SPEC R59)."""
    meta, ems = scripts["metascrum-commerce"], scripts["ems"]
    loyalty = next(c.id for c in meta.board.cards.values() if c.title == "Loyalty points")
    ask = o.EscalateCard(
        card=loyalty, to_forum=ems.board.forum_id, to_name=ems.board.name, to_kind="ems",
        note="Loyalty or one-click reorder next quarter? We cannot staff both.",
    )  # fmt: skip
    meta.send("Jonas Berg", ask, scripts, minutes=30)
    copy = next(c.id for c in ems.board.cards.values() if c.origin and c.origin.card == loyalty)
    ems.at = max(ems.at, meta.at)
    ems.do("Rita Olsen", o.StartSession(), minutes=60)
    ems.send("Rita Olsen", o.MoveCard(card=copy, column="decided", index=0), scripts, minutes=5)
    decide = o.RecordDecision(
        text="One-click reorder first; loyalty points wait until Q3.", cards=(copy,)
    )
    ems.send("Rita Olsen", decide, scripts, minutes=2)
    ems.do("Rita Olsen", o.EndSession(), minutes=10)


async def seed_demo(forums: ForumDirectory) -> None:
    """Write the demo network: teams, forums with their logs, links, served teams; the
    instance is marked seeded last."""
    await forums.save_teams(TEAMS)
    for script in demo_scripts(time.time()):
        first = new_board(script.board.forum_id, script.board.kind, script.board.name)
        await forums.create(first, script.at, history=script.history)
    for src, relation, dst in FORUM_LINKS:
        await forums.set_link(src, relation, dst)
    for forum_id, team_ids in SERVES:
        await forums.set_served(forum_id, team_ids)
    for child, parent in PARENTS:
        await forums.set_link(child, PARENT, parent)
    await forums.mark_seeded("demo")
