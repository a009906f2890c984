"""``apply``: validate one operation against a board and return the next board.

``apply(board, op, ctx)`` is the only way a board changes. It is deterministic: the
same board, operation and context always give the same result, which is what makes
the operation log replayable (rooms reload from it; review replays it). New ids come
from the operation's ``seq``, never from randomness or the clock.

It returns ``(board, events)``. No events means the operation changed nothing (a card
dropped where it already was); the caller acknowledges it without spending a seq.
It raises ``Rejected`` with a code and a reason a person can read.

The handlers live by subject: ``cards.py``, ``columns.py``, ``sessions.py``, and the
smaller ``backlog.py``, ``forum_links.py``, ``timer.py``, ``voting.py``, ``focus.py``,
``retro.py``, ``wip.py``, ``room.py``; their shared checks and lookups are ``rules.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec.structs import replace

from . import backlog as _backlog
from . import backlog_sync as _pairs
from . import cards, columns, sessions
from . import clusters as _clusters
from . import feedback as _feedback
from . import focus as _focus_ops
from . import forum_links as _links
from . import ops as o
from . import ops_backlog as ob
from . import ops_standards as so
from . import people as _people
from . import retro as _retro
from . import room as _room
from . import sds as _sds
from . import sds_ops as _sds_ops
from . import standards as _standards
from . import timer as _timer_ops
from . import voting as _voting
from . import wip as _wip
from .model import Board
from .rules import MAX_CARDS as MAX_CARDS
from .rules import MAX_COLUMNS as MAX_COLUMNS
from .rules import MAX_DECISIONS as MAX_DECISIONS
from .rules import MAX_OPEN_STEPS as MAX_OPEN_STEPS
from .rules import Context as Context
from .rules import Rejected as Rejected
from .rules import Result as Result
from .rules import clean_text as clean_text


def apply(board: Board, op: o.Op, ctx: Context) -> Result:
    """Validate ``op`` against ``board``; return the next board and what changed."""
    if ctx.seq != board.seq + 1:
        raise ValueError(f"context seq {ctx.seq} does not follow board seq {board.seq}")
    handler = _HANDLERS[type(op)]
    _retro.guard(board, op, ctx)  # a hidden card is its author's until the reveal
    new, events = handler(board, op, ctx)
    if not events:
        return board, []
    new, events = _focus_ops.drop_stale(new, events)  # the focused card/column is gone
    if (
        new.session is not None
        and not isinstance(op, _NOT_TAKING_PART)
        and not _retro.private_add(op, events)
    ):
        new, joined = sessions.add_participants(new, sessions.attendee(ctx))
        if joined is not None:
            events.append(joined)
    return replace(new, seq=ctx.seq), events


# Server-made ops whose actor is not taking part in this forum's session (presence, and
# what another forum's people did to a linked card).
# Picking one's teams (R52) is not taking part either: it says whom one speaks for.
_NOT_TAKING_PART = (
    o.NotePresence,
    o.ReceiveEscalation,
    o.EscalationStatus,
    o.SetMyTeams,
    ob.PairBacklog,
    ob.UnpairBacklog,
    ob.MirrorItem,
    ob.BacklogOrder,
    so.StandardNotice,
)


_HANDLERS: dict[type, Callable[[Board, Any, Context], Result]] = {
    o.AddCard: _wip.checked(cards.add_card),
    o.EditCard: cards.edit_card,
    o.MoveCard: _wip.checked(
        _backlog.with_tradeoff_note(cards.move_card, sessions.record_decision)
    ),
    o.ArchiveCard: cards.archive_card,
    o.RestoreCard: _wip.checked(cards.restore_card),
    o.AddColumn: columns.add_column,
    o.RenameColumn: columns.rename_column,
    o.MoveColumn: columns.move_column,
    o.RemoveColumn: columns.remove_column,
    o.RenameForum: columns.rename_forum,
    o.StartSession: sessions.start_session,
    o.EndSession: sessions.end_session,
    o.RecordDecision: sessions.record_decision,
    o.AddNextStep: sessions.add_next_step,
    o.UpdateNextStep: sessions.update_next_step,
    o.NotePresence: sessions.note_presence,
    o.ReturnEscalation: cards.return_escalation,
    o.EscalateCard: _wip.checked(_links.escalate_card),
    o.ReceiveEscalation: _wip.checked(_links.receive_escalation),
    o.EscalationStatus: _wip.checked(_links.escalation_status),
    o.SetTimer: _timer_ops.set_timer,
    o.StartTimer: _timer_ops.start_timer,
    o.PauseTimer: _timer_ops.pause_timer,
    o.ResetTimer: _timer_ops.reset_timer,
    o.GroupCard: _clusters.group_card,
    o.UngroupCard: _clusters.ungroup_card,
    o.NameGroup: _clusters.name_group,
    o.CastVote: _voting.cast_vote,
    o.RetractVote: _voting.retract_vote,
    o.SetFocus: _focus_ops.set_focus,
    o.SetPhase: _retro.set_phase,
    o.ConfigureRetro: _retro.configure_retro,
    o.SetWipLimit: _wip.set_wip_limit,
    o.SetRoomJoin: _room.set_room_join,
    o.SetMyTeams: _people.set_my_teams,
    _sds_ops.StartSds: _sds.start_sds,
    _sds_ops.SetSdsSpeaker: _sds.set_sds_speaker,
    _sds_ops.ClaimSdsTeam: _sds.claim_sds_team,
    _sds_ops.AnswerSds: _sds.answer_sds,
    _sds_ops.NextSdsTeam: _sds.next_sds_team,
    _sds_ops.EndSds: _sds.end_sds,
    ob.PairBacklog: _pairs.pair_backlog,  # one Scaled Backlog (SPEC R57, R58)
    ob.UnpairBacklog: _pairs.unpair_backlog,  # and no longer (R76)
    ob.MirrorItem: _wip.checked(_pairs.mirror_item),
    ob.BacklogOrder: _pairs.backlog_order,
    so.AdoptStandard: _standards.adopt_standard,
    so.RetireStandard: _standards.retire_standard,
    so.StandardNotice: _standards.standard_notice,
    so.AnswerFeedback: _feedback.answer_feedback,
}
