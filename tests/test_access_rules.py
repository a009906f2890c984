"""``board.access``: the roles, their order, and the least role each operation needs."""

from __future__ import annotations

import pytest

from board import ops as o
from board import ops_standards as so
from board.access import (
    FACILITATOR_OPS,
    PARTICIPANT_OPS,
    ROLES,
    at_least,
    best,
    can,
    needed,
    op_type,
    refusal,
)
from board.sds_ops import AnswerSds, ClaimSdsTeam, EndSds, NextSdsTeam, SetSdsSpeaker, StartSds

EVERY_CLIENT_OP = {t.__struct_config__.tag for t in o.CLIENT_OP_TYPES}
SAMPLES: list[o.ClientOp] = [
    o.AddCard(column="new", title="t"),
    o.EditCard(card="c1", title="t"),
    o.MoveCard(card="c1", column="new", index=0),
    o.ArchiveCard(card="c1"),
    o.RestoreCard(card="c1"),
    o.AddColumn(title="t"),
    o.RenameColumn(column="new", title="t"),
    o.MoveColumn(column="new", index=0),
    o.RemoveColumn(column="new"),
    o.RenameForum(name="n"),
    o.StartSession(),
    o.EndSession(),
    o.RecordDecision(text="d"),
    o.AddNextStep(text="s"),
    o.UpdateNextStep(step="s1", status="done"),
    o.ReturnEscalation(card="c1", note="n"),
    so.AnswerFeedback(card="c1", outcome="done"),
    o.SetTimer(duration=300),
    o.StartTimer(),
    o.PauseTimer(),
    o.ResetTimer(),
    o.SetFocus(target="c1"),
    o.GroupCard(card="c1", with_card="c2"),
    o.UngroupCard(card="c1"),
    o.NameGroup(group="g3", title="t"),
    o.CastVote(target="c1"),
    o.RetractVote(target="c1"),
    o.SetPhase(phase="write"),
    o.ConfigureRetro(dots=3),
    o.SetWipLimit(column="new", limit=4),
    o.SetRoomJoin(on=True),
    o.SetMyTeams(teams=("checkout",)),
    # SPEC R54-R55: the Scaled Daily Scrum's round
    StartSds(teams=("checkout",)),
    SetSdsSpeaker(team="checkout", speaker="Maya"),
    ClaimSdsTeam(team="checkout"),
    AnswerSds(team="checkout", blocking="no"),
    NextSdsTeam(team="checkout"),
    EndSds(),
]
FACILITATOR_ONLY = {
    "start_session",
    "end_session",
    "rename_forum",
    "set_timer",
    "start_timer",
    "pause_timer",
    "reset_timer",
    "set_focus",
    "set_room_join",  # SPEC R45
    "start_sds",  # SPEC R54
    "set_sds_speaker",
    "next_sds_team",
    "end_sds",
    "set_phase",
    "configure_retro",
}


def test_every_client_operation_is_classified_once() -> None:
    assert PARTICIPANT_OPS | FACILITATOR_OPS == EVERY_CLIENT_OP
    assert not PARTICIPANT_OPS & FACILITATOR_OPS
    assert {op_type(op) for op in SAMPLES} == EVERY_CLIENT_OP


def test_roles_are_ordered() -> None:
    assert ROLES == ("viewer", "participant", "facilitator")
    for i, role in enumerate(ROLES):
        for j, floor in enumerate(ROLES):
            assert at_least(role, floor) is (i >= j), (role, floor)
        assert not at_least(None, role)
    assert best(None, "viewer", "facilitator", "participant") == "facilitator"
    assert best("participant", "viewer") == "participant"
    assert best(None, None) is None and best() is None


@pytest.mark.parametrize("op", SAMPLES, ids=op_type)
def test_who_may_send_each_operation(op: o.ClientOp) -> None:
    name = op_type(op)
    facilitator_only = name in FACILITATOR_ONLY
    assert not can(None, op)
    assert not can("viewer", op)
    assert can("participant", op) is not facilitator_only
    assert can("facilitator", op)
    assert needed(op) == ("facilitator" if facilitator_only else "participant")
    # The type name decides as well as the op itself.
    assert can("participant", name) is can("participant", op)


def test_server_made_and_unknown_operations_are_refused_to_everyone() -> None:
    presence = o.NotePresence(names=("Maya",))
    for role in (*ROLES, None):
        assert not can(role, presence)  # type: ignore[arg-type]
        assert not can(role, "delete_everything")
    assert needed("delete_everything") is None
    assert "No one may send" in refusal("facilitator", "delete_everything")


def test_refusals_say_what_to_do() -> None:
    move = o.MoveCard(card="c1", column="new", index=0)
    assert "no access" in refusal(None, move) and "link" in refusal(None, move)
    assert "read-only" in refusal("viewer", move)
    assert "participant link" in refusal("viewer", move)
    start = o.StartSession()
    assert "facilitator" in refusal("participant", start)
    assert "start session" in refusal("participant", start)


def test_server_made_escalation_ops_are_refused_to_every_client() -> None:
    for name in ("escalate_card", "receive_escalation", "escalation_status"):
        assert needed(name) is None
        assert not can("facilitator", name)
    assert can("participant", "return_escalation") and not can("viewer", "return_escalation")
