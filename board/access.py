"""Who may do what on a forum: three roles, ordered, and the least role each operation needs.

A forum hands out one link per role (``docs/access.md``), and a room link that admits
as a participant while the facilitator lets the room join (``LINK_KINDS``, SPEC R46):

- ``viewer``: reads the board, its sessions and history; changes nothing (the
  projector in the room, a stakeholder).
- ``participant``: also moves and edits cards and columns, records decisions and
  agrees next steps during a session.
- ``facilitator``: also starts and ends sessions, runs the shared timer and renames
  the forum, runs a retrospective's phases and brings everyone to a card (follow).

The instance's admin counts as a facilitator of every forum. This module only
decides; the server finds out who someone is and enforces the answer on every route
and on the websocket. An operation type this module does not know is refused to
everyone, so a new operation cannot become allowed by being forgotten here.
"""

from __future__ import annotations

from typing import Final, Literal

from .ops import ClientOp

Role = Literal["viewer", "participant", "facilitator"]

ROLES: Final[tuple[Role, ...]] = ("viewer", "participant", "facilitator")
"""Every role, least first: each may do everything the ones before it may."""

LinkKind = Literal["viewer", "participant", "facilitator", "room"]

LINK_KINDS: Final[tuple[LinkKind, ...]] = (*ROLES, "room")
"""Every kind of forum link: one per role, and the room link (SPEC R46), which admits
as a participant, and only while the board's ``room_join`` is on."""

ROOM: Final[LinkKind] = "room"


def link_role(kind: LinkKind) -> Role:
    """The role a link of ``kind`` gives (the room link: a participant's)."""
    return "participant" if kind == "room" else kind


def is_link_kind(value: object) -> bool:
    """Whether ``value`` names a kind of forum link."""
    return isinstance(value, str) and value in LINK_KINDS


_RANK: Final[dict[str, int]] = {role: i for i, role in enumerate(ROLES)}

PARTICIPANT_OPS: Final = frozenset(
    {
        "add_card",
        "edit_card",
        "move_card",
        "archive_card",
        "restore_card",
        "add_column",
        "rename_column",
        "move_column",
        "remove_column",
        "record_decision",
        "add_next_step",
        "update_next_step",
        "return_escalation",
        "answer_feedback",
        "set_wip_limit",
        "group_card",
        "ungroup_card",
        "name_group",
        "cast_vote",
        "retract_vote",
        "set_my_teams",
        "claim_sds_team",
        "answer_sds",
    }
)
"""Operations a participant (and a facilitator) may send."""

ESCALATE: Final[Role] = "participant"
"""The least role that may escalate a card of a forum (``POST …/cards/{id}/escalate``).
The server then writes ``escalate_card`` on that board and ``receive_escalation`` on
the target forum its escalation relation names: the caller never picks the target, so
no role on the target forum is needed. Those ops, and ``escalation_status``, are
server-made: ``can`` refuses them to every client."""

FACILITATOR_OPS: Final = frozenset(
    {
        "start_session",
        "end_session",
        "rename_forum",
        "set_timer",
        "start_timer",
        "pause_timer",
        "reset_timer",
        "set_focus",
        "set_phase",
        "configure_retro",
        "set_room_join",
        "start_sds",
        "set_sds_speaker",
        "next_sds_team",
        "end_sds",
    }
)
"""Operations only a facilitator may send."""

LABELS: Final[dict[Role, str]] = {
    "viewer": "Viewer",
    "participant": "Participant",
    "facilitator": "Facilitator",
}

WHAT: Final[dict[Role, str]] = {
    "viewer": "sees the board and its history, read-only",
    "participant": "moves and edits cards, records decisions and next steps",
    "facilitator": "also starts and ends sessions, runs the timer, the retrospective phases and"
    " the follow, and renames the forum",
}


LINK_LABELS: Final[dict[LinkKind, str]] = {**{k: v for k, v in LABELS.items()}, "room": "Room"}

LINK_WHAT: Final[dict[LinkKind, str]] = {
    **{k: v for k, v in WHAT.items()},
    "room": "the projector's QR code: joins as a participant, only while the facilitator"
    " lets the room join",
}


def is_role(value: object) -> bool:
    """Whether ``value`` names a role."""
    return isinstance(value, str) and value in _RANK


def op_type(op: ClientOp | str) -> str:
    """The wire name of an operation (``"move_card"``), from the op or the name itself."""
    if isinstance(op, str):
        return op
    tag = type(op).__struct_config__.tag
    return tag if isinstance(tag, str) else ""


def _needed(name: str) -> Role | None:
    if name in PARTICIPANT_OPS:
        return "participant"
    if name in FACILITATOR_OPS:
        return "facilitator"
    return None


_BY_TYPE: dict[type, Role | None] = {}  # the answer per op class (every live op asks)


def needed(op: ClientOp | str) -> Role | None:
    """The least role that may send ``op``; ``None`` when no client may (unknown types,
    and operations only the server writes)."""
    if isinstance(op, str):
        return _needed(op)
    kind = type(op)
    try:
        return _BY_TYPE[kind]
    except KeyError:
        found = _BY_TYPE[kind] = _needed(op_type(op))
        return found


def at_least(role: Role | None, floor: Role) -> bool:
    """Whether ``role`` may do everything ``floor`` may (``None``: no role at all)."""
    return role is not None and _RANK[role] >= _RANK[floor]


def best(*roles: Role | None) -> Role | None:
    """The highest of some roles (``None`` when there is none)."""
    top: Role | None = None
    for role in roles:
        if role is not None and (top is None or _RANK[role] > _RANK[top]):
            top = role
    return top


def can(role: Role | None, op: ClientOp | str) -> bool:
    """Whether someone with ``role`` may send ``op`` (the op's type decides)."""
    floor = needed(op)
    return floor is not None and at_least(role, floor)


def refusal(role: Role | None, op: ClientOp | str) -> str:
    """Why ``op`` is refused to ``role``, in words a person can act on."""
    name = op_type(op)
    floor = needed(op)
    if floor is None:
        return f"No one may send {name or 'this operation'!r}."
    if role is None:
        return "You have no access to this forum: ask its facilitator for a link."
    if role == "viewer":
        return "You are viewing this forum read-only: ask its facilitator for a participant link."
    return (
        f"Only a {LABELS[floor].lower()} may {name.replace('_', ' ')}: ask the forum's facilitator."
    )
