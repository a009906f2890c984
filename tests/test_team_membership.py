"""Which teams a person is in, per forum (issue 14, SPEC R52, R53), in the pure board:
``set_my_teams`` keyed by the person, checked against the network's teams, carried
into a session's attendance and read by the Scrum of Scrums' representation guardrail.
"""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board import visibility
from board.access import can, refusal
from board.events import MyTeamsSet, SessionEnded
from board.export import export_session, replay_session
from board.guardrails import team_check
from board.log import LoggedOp
from board.metrics_facts import SessionFact
from board.model import MAX_TEAMS, Board, Team, new_board
from board.people import by_team
from board.protocol import BadMessage, WireItem, decode_client
from board.sync import Accepted, ForumSync, Refused, Unchanged

MAYA = "pMayaxxxxxxxxxxxx"
BO = "pBoxxxxxxxxxxxxxx"
FAC = "pFacxxxxxxxxxxxxx"
TEAMS = frozenset({"checkout", "payments", "search"})
NETWORK = [Team("checkout", "Checkout", "#1f77b4"), Team("payments", "Payments", "#d62728")]


class Forum:
    """A Scrum of Scrums decided op by op with the network's teams, as a room does."""

    def __init__(self, teams: frozenset[str] = TEAMS) -> None:
        self.sync = ForumSync(new_board("sos", "sos", "SoS"), "e")
        self.teams = teams
        self.at = 1000.0
        self.log: list[LoggedOp] = []

    @property
    def board(self) -> Board:
        return self.sync.board

    def try_(self, op: o.Op, actor: str, by: str) -> Accepted | Refused | Unchanged:
        self.at += 1
        outcome = self.sync.submit(op, op_id=None, actor=actor, at=self.at, teams=self.teams, by=by)
        assert isinstance(outcome, Accepted | Refused | Unchanged), outcome
        if isinstance(outcome, Accepted):
            i = outcome.item
            self.log.append(LoggedOp(i.seq, i.actor, i.at, i.op, i.op_id, i.by))
        return outcome

    def do(self, op: o.Op, actor: str = "Fac", by: str = FAC) -> Accepted:
        outcome = self.try_(op, actor, by)
        assert isinstance(outcome, Accepted), outcome
        return outcome


def pick(*teams: str) -> o.SetMyTeams:
    return o.SetMyTeams(teams=teams)


def test_a_person_picks_their_teams_by_key_and_everyone_hears_the_name() -> None:
    # SPEC R52: kept by person key, blanks and repeats dropped; the event says the name.
    f = Forum()
    done = f.do(pick("checkout", " ", "payments", "checkout"), "Maya", MAYA)
    assert f.board.members == {MAYA: ("checkout", "payments")}
    assert done.item.events == (MyTeamsSet(name="Maya", teams=("checkout", "payments")),)
    assert MAYA.encode() not in msgspec.json.encode(WireItem.of(done.item))
    # The same pick again changes nothing (no seq); another person has their own pick.
    assert isinstance(f.try_(pick("checkout", "payments"), "Maya", MAYA), Unchanged)
    f.do(pick("search"), "Maya", BO)  # another person called Maya
    assert f.board.members[MAYA] == ("checkout", "payments")
    assert f.board.members[BO] == ("search",)
    # Renamed, still the same person; "no team" is a pick too.
    f.do(pick(), "Maya Chen", MAYA)
    assert f.board.members[MAYA] == ()


@pytest.mark.parametrize(
    ("teams", "reason"),
    [
        (("checkout", "billing"), "There is no team 'billing'."),
        (("nope",), "There is no team 'nope'."),
    ],
)
def test_an_unknown_team_is_refused_and_changes_nothing(
    teams: tuple[str, ...], reason: str
) -> None:
    # SPEC R52: every id must be one of the network's teams.
    f = Forum()
    before = f.board
    refused = f.try_(pick(*teams), "Maya", MAYA)
    assert isinstance(refused, Refused)
    assert (refused.code, refused.reason) == ("invalid", reason)
    assert f.board is before


def test_too_many_teams_is_refused_by_the_schema_and_by_apply() -> None:
    # SPEC R52: at most MAX_TEAMS; more is bad_message on the wire, invalid from apply.
    many = [f"t{i}" for i in range(MAX_TEAMS + 1)]
    raw = msgspec.json.encode(
        {"type": "op", "id": "x1", "op": {"type": "set_my_teams", "teams": many}}
    )
    with pytest.raises(BadMessage):
        decode_client(raw)
    f = Forum(teams=frozenset(many))
    refused = f.try_(pick(*many), "Maya", MAYA)
    assert isinstance(refused, Refused) and refused.code == "invalid"
    assert "at most 8 teams" in refused.reason and f.board.members == {}


def test_a_viewer_and_a_token_pick_no_teams() -> None:
    # SPEC R52: a participant's op (a viewer is refused, R2a); a token is no person (R42).
    assert can("participant", "set_my_teams") and can("facilitator", "set_my_teams")
    assert not can("viewer", "set_my_teams")
    assert "read-only" in refusal("viewer", "set_my_teams")
    f = Forum()
    refused = f.try_(pick("checkout"), "API (participant link)", "~API (participant link)")
    assert isinstance(refused, Refused) and refused.code == "invalid"
    assert "not a person" in refused.reason and f.board.members == {}


def test_a_viewer_of_the_board_sees_only_their_own_pick() -> None:
    # SPEC R40, R52: person keys stay on the server.
    f = Forum()
    f.do(pick("checkout"), "Maya", MAYA)
    f.do(pick("payments"), "Bo", BO)
    assert visibility.board_for(f.board, MAYA).members == {MAYA: ("checkout",)}
    assert visibility.board_for(f.board, None).members == {}
    assert visibility.board_for(f.board, "pSomeoneElsexxxxx").members == {}


def test_attendance_carries_each_persons_teams() -> None:
    # SPEC R53: counted people's picks, under the name they are counted as; kept current.
    f = Forum()
    f.do(pick("checkout"), "Maya", MAYA)
    f.do(o.StartSession())
    f.do(o.NotePresence(names=("Maya", "Bo"), people=(MAYA, BO)), "")
    session = f.board.session
    assert session is not None and session.teams == {"Maya": ("checkout",)}
    f.do(pick("search"), "Bo", BO)  # picked while the session runs
    f.do(pick("checkout", "payments"), "Maya", MAYA)  # changed
    session = f.board.session
    assert session is not None
    assert session.teams == {"Maya": ("checkout", "payments"), "Bo": ("search",)}
    assert by_team(session.teams) == {
        "checkout": ["Maya"],
        "payments": ["Maya"],
        "search": ["Bo"],
    }
    ended = f.do(o.EndSession())
    record = next(e for e in ended.item.events if isinstance(e, SessionEnded))
    assert record.session.teams == {"Maya": ("checkout", "payments"), "Bo": ("search",)}
    assert record.session.people == {}  # keys never leave (R43)


def test_picking_teams_is_not_taking_part() -> None:
    # SPEC R53: only people counted by R43 carry teams into attendance.
    f = Forum()
    f.do(o.StartSession())
    f.do(pick("checkout"), "Lurker", "pLurkerxxxxxxxxxx")
    session = f.board.session
    assert session is not None and session.participants == ("Fac",) and session.teams == {}


def test_the_log_replays_to_the_same_memberships_and_exports_no_keys() -> None:
    # SPEC R40, R52: board state in the op log; an export names people by alias.
    f = Forum()
    f.do(pick("checkout"), "Maya", MAYA)
    start = f.board
    f.do(o.StartSession())
    f.do(o.NotePresence(names=("Maya",), people=(MAYA,)), "")
    f.do(pick("payments"), "Maya", MAYA)
    f.do(o.EndSession())
    whole = replay_session(new_board("sos", "sos", "SoS"), f.log)[-1].board
    assert whole == f.board and whole.members == {MAYA: ("payments",)}
    f.log = f.log[1:]  # the session's ops, from the board it started on
    export = export_session(start, f.log, exported_at=5000.0)
    raw = msgspec.json.encode(export)
    assert MAYA.encode() not in raw and FAC.encode() not in raw
    assert export.board.members == {"person 1": ("payments",)}
    assert replay_session(export.start_board, export.operations)[-1].board == export.board


def fact(**fields: object) -> SessionFact:
    base: dict[str, object] = {"id": "sos-1", "number": 1, "started_at": 0.0, "ended_at": 600.0}
    return SessionFact(**{**base, **fields})  # type: ignore[arg-type]


def test_the_guardrail_counts_a_team_represented_by_a_member() -> None:
    # SPEC R53: a team is represented when a participant who is in it took part.
    served = ("checkout", "payments")
    both = fact(
        participants=("Maya", "Bo"), member_teams={"Maya": ("checkout",), "Bo": ("payments",)}
    )
    assert team_check(both, NETWORK, served) == (None, None)
    one = fact(participants=("Maya", "Bo"), member_teams={"Maya": ("checkout",)})
    flagged, unknown = team_check(one, NETWORK, served)
    assert flagged == "Payments is served by this forum but nobody from it took part."
    assert unknown is None
    # Membership decides, not names: "Bo (Payments)" is not a member of Payments.
    named = fact(participants=("Maya", "Bo (Payments)"), member_teams={"Maya": ("checkout",)})
    assert team_check(named, NETWORK, served)[0] is not None


def test_without_memberships_the_guardrail_falls_back_to_names_or_is_unchecked() -> None:
    # SPEC R53: older sessions (nobody picked teams) keep the name convention.
    served = ("checkout", "payments")
    by_name = fact(participants=("Maya (Checkout)", "Bo (Payments)"))
    assert team_check(by_name, NETWORK, served) == (None, None)
    nobody = fact(participants=("Maya", "Bo"))
    flagged, unknown = team_check(nobody, NETWORK, served)
    assert flagged is None and unknown is not None and "picked their teams" in unknown
