"""A person's pick carries to the forums they have not picked in (SPEC R74), and only
people who may take part count for a team (R75): the pure board (``carried_pick``,
attendance), a room's turn without a server (``RoomState`` with plain clients), and
the signed cookie that keeps the pick."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import RequestFactory
from msgspec.structs import replace

from board import ops as o
from board.events import MyTeamsSet
from board.guardrails import team_check
from board.log import LoggedOp
from board.metrics_facts import SessionFact
from board.model import MAX_TEAMS, Board, Team, new_board
from board.people import carried_pick
from board.protocol import Hello, Limits
from board.replay import board_after
from board.sync import Accepted, ForumSync
from server.access.identity import TEAMS_COOKIE, carried_teams, teams_cookie
from server.config import TEMPLATES_DIR
from server.live.messages import Join, OpIn
from server.live.turn import RoomState, attends
from server.web.render import Renderer

MAYA = "pMayaxxxxxxxxxxxx"
VIC = "pVicxxxxxxxxxxxxx"
FAC = "pFacxxxxxxxxxxxxx"
TEAMS = frozenset({"checkout", "payments", "search"})
NOW = 1_000.0
RENDERER = Renderer(TEMPLATES_DIR)
RENDERER.set_teams([Team("checkout", "Checkout", "#1f77b4"), Team("search", "Search", "#2ca02c")])


def board_with(members: dict[str, tuple[str, ...]]) -> Board:
    return replace(new_board("sos", "sos", "SoS"), members=members)


# -- the board ---------------------------------------------------------------------------


def test_a_pick_carries_only_where_the_person_has_none() -> None:
    # SPEC R74: the carried pick, as an ordinary set_my_teams; a pick made here stays.
    empty = board_with({})
    assert carried_pick(empty, MAYA, ("checkout",), TEAMS) == o.SetMyTeams(teams=("checkout",))
    assert carried_pick(board_with({MAYA: ("search",)}), MAYA, ("checkout",), TEAMS) is None
    assert carried_pick(board_with({MAYA: ()}), MAYA, ("checkout",), TEAMS) is None  # "no team"
    assert carried_pick(empty, MAYA, (), TEAMS) is None  # nothing kept: the board asks


def test_a_carried_pick_leaves_out_what_is_no_longer_a_team() -> None:
    # SPEC R74: ids that are no team any more are dropped; none left, nothing applied.
    empty = board_with({})
    got = carried_pick(empty, MAYA, ("billing", "search", "search", "checkout"), TEAMS)
    assert got == o.SetMyTeams(teams=("search", "checkout"))
    assert carried_pick(empty, MAYA, ("billing",), TEAMS) is None
    many = frozenset(f"t{i}" for i in range(MAX_TEAMS + 3))
    capped = carried_pick(empty, MAYA, sorted(many), many)
    assert capped is not None and len(capped.teams) == MAX_TEAMS


def test_no_pick_carries_to_a_token_or_to_nobody() -> None:
    # SPEC R74, R75 (R42): a `~` key is no person; a projector has no key.
    empty = board_with({})
    assert carried_pick(empty, "~API (participant link)", ("checkout",), TEAMS) is None
    assert carried_pick(empty, "", ("checkout",), TEAMS) is None


def test_a_token_in_a_presence_note_is_never_counted_nor_its_teams() -> None:
    # SPEC R75: the board never counts a `~` key, so it never represents a team.
    sync = ForumSync(new_board("sos", "sos", "SoS"), "e")
    assert isinstance(
        sync.submit(o.StartSession(), op_id=None, actor="Fac", at=1, by=FAC), Accepted
    )
    note = o.NotePresence(names=("API (admin)", "Maya"), people=("~API (admin)", MAYA))
    sync.submit(note, op_id=None, actor="", at=2)
    session = sync.board.session
    assert session is not None and session.participants == ("Fac", "Maya")
    assert "~API (admin)" not in session.people


# -- a room's turn -----------------------------------------------------------------------


@dataclass(eq=False)
class Client:
    """A connected client as the turn sees it; it only records what it is given."""

    id: str
    name: str
    person: str
    role: str = "participant"
    hue: int = 0
    takes_part: bool = True
    closed: bool = False
    got: list[dict[str, Any]] = field(default_factory=list)

    def deliver(self, message: dict[str, Any]) -> None:
        self.got.append(message)

    def deliver_all(self, messages: list[dict[str, Any]]) -> None:
        self.got.extend(messages)


def room() -> RoomState:
    sync = ForumSync(new_board("sos", "sos", "SoS"), "epoch-1")
    limits = Limits(max_message_bytes=65536, ops_per_second=50)
    return RoomState(sync, RENDERER, limits=limits, snapshot_every=500)


def frames_of(plan: Any, state: RoomState, client: Client) -> list[dict[str, Any]]:
    out = []
    for targets, message in plan.frames:
        if client in (targets if targets is not None else tuple(state.peers.values())):
            out.append(json.loads(message["text"]))
    return out


def test_joining_applies_the_carried_pick_as_the_persons_own_op() -> None:
    # SPEC R74: logged as set_my_teams by them (name and key), before their welcome;
    # the others hear my_teams_set and the person's presence with the team names.
    state = room()
    fac = Client("f", "Fay", FAC, role="facilitator")
    state.turn([Join(fac, Hello())], NOW, TEAMS)
    maya = Client("m", "Maya", MAYA)
    plan = state.turn([Join(maya, Hello(), ("checkout", "billing"))], NOW, TEAMS)
    (item,) = [a.item for a in plan.accepted]
    assert (item.op, item.actor, item.by, item.op_id) == (
        o.SetMyTeams(teams=("checkout",)),
        "Maya",
        MAYA,
        None,
    )
    assert item.events == (MyTeamsSet(name="Maya", teams=("checkout",)),)
    assert state.sync.board.members == {MAYA: ("checkout",)}
    welcome = frames_of(plan, state, maya)[0]
    assert welcome["type"] == "welcome" and welcome["you"]["teams"] == ["Checkout"]
    batch = next(m for m in frames_of(plan, state, fac) if m["type"] == "batch")
    assert [i["seq"] for i in batch["items"]] == [item.seq]
    assert {p["name"]: p["teams"] for p in batch["joined"]}["Maya"] == ["Checkout"]
    # It replays: the log gives the same board.
    logged = [LoggedOp(item.seq, item.actor, item.at, item.op, item.op_id, item.by)]
    assert board_after(new_board("sos", "sos", "SoS"), logged).members == {MAYA: ("checkout",)}
    # Joining again (another tab) with another carried pick changes nothing here (R52).
    again = state.turn([Join(Client("m2", "Maya", MAYA), Hello(), ("search",))], NOW, TEAMS)
    assert not again.accepted and state.sync.board.members == {MAYA: ("checkout",)}


def test_a_carried_pick_counts_in_a_running_session() -> None:
    # SPEC R74, R53: the pick is applied before the person is counted.
    state = room()
    fac = Client("f", "Fay", FAC, role="facilitator")
    state.turn([Join(fac, Hello())], NOW, TEAMS)
    state.turn([OpIn(o.StartSession(), "f-1", "Fay", fac, by=FAC)], NOW, TEAMS)
    state.turn([Join(Client("m", "Maya", MAYA), Hello(), ("search",))], NOW, TEAMS)
    session = state.sync.board.session
    assert session is not None and session.teams == {"Maya": ("search",)}


def test_a_viewer_never_counts_for_a_team() -> None:
    # SPEC R75: a viewer (whatever pick this person made here before, or carries) is not
    # counted on joining nor when a session starts, and no pick is carried to them.
    state = room()
    fac = Client("f", "Fay", FAC, role="facilitator")
    state.turn([Join(fac, Hello())], NOW, TEAMS)
    # Vic picked Checkout here while a participant; their link is a viewer's now.
    state.sync.submit(o.SetMyTeams(teams=("checkout",)), op_id=None, actor="Vic", at=1, by=VIC)
    vic = Client("v", "Vic", VIC, role="viewer")
    assert not attends(vic)
    plan = state.turn([Join(vic, Hello(), ("search",))], NOW, TEAMS)
    assert not plan.accepted and state.sync.board.members == {VIC: ("checkout",)}
    state.turn([OpIn(o.StartSession(), "f-1", "Fay", fac, by=FAC)], NOW, TEAMS)
    late = Client("v2", "Vic", VIC, role="viewer")
    state.turn([Join(late, Hello())], NOW, TEAMS)  # joining while it runs: not counted
    session = state.sync.board.session
    assert session is not None
    assert session.participants == ("Fay",) and session.teams == {}
    # The projector and a token's connection (takes_part off) neither.
    screen = Client("p", "Projector", "", role="viewer", takes_part=False)
    token = Client("t", "API (participant link)", "~API (participant link)", takes_part=False)
    plan = state.turn([Join(screen, Hello(), ("search",)), Join(token, Hello())], NOW, TEAMS)
    assert not plan.accepted and not attends(screen) and not attends(token)
    # So the guardrail finds Checkout unrepresented.
    fact = SessionFact(
        id="sos-1",
        number=1,
        started_at=0.0,
        ended_at=600.0,
        participants=session.participants,
        member_teams=session.teams,
    )
    network = [Team("checkout", "Checkout", "#1f77b4")]
    flagged, unknown = team_check(fact, network, ("checkout",))
    assert unknown is not None and flagged is None  # nobody who took part picked teams


# -- the cookie that keeps the pick -------------------------------------------------------


def request_with(cookie: str | None) -> Any:
    headers = {"cookie": f"{TEAMS_COOKIE}={cookie}"} if cookie is not None else {}
    return RequestFactory().get("/", headers=headers)


def test_the_kept_pick_is_signed_and_an_empty_pick_clears_it() -> None:
    # SPEC R74: sb_teams, signed with the instance's secret; forged or foreign: nothing.
    made = teams_cookie("s3cret", ("checkout", "search"), secure=False)
    assert made.httponly and made.max_age and made.max_age > 0
    assert carried_teams(request_with(made.value), "s3cret") == ("checkout", "search")
    assert carried_teams(request_with(made.value), "another") == ()
    assert carried_teams(request_with(made.value[:-2] + "xx"), "s3cret") == ()
    assert carried_teams(request_with("garbage"), "s3cret") == ()
    assert carried_teams(request_with(None), "s3cret") == ()
    cleared = teams_cookie("s3cret", (), secure=False)
    assert cleared.value == "" and cleared.max_age == 0
