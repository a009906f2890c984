"""The forum's shared countdown: the facilitator's timer operations, and how a
countdown reads (``mmss``)."""

from __future__ import annotations

from msgspec.structs import replace

from . import ops as o
from .events import TimerChanged
from .model import Board, Timer
from .rules import Context, Rejected, Result


def _timer(board: Board) -> Timer:
    if board.timer is None:
        raise Rejected("conflict", "The timer has no duration yet; set one first.")
    return board.timer


def set_timer(board: Board, op: o.SetTimer, ctx: Context) -> Result:
    if not o.MIN_TIMER <= op.duration <= o.MAX_TIMER:
        raise Rejected("invalid", "A timer runs for 1 second to 4 hours.")
    timer = Timer(duration=op.duration, remaining=float(op.duration))
    if timer == board.timer:
        return board, []
    return replace(board, timer=timer), [TimerChanged(action="set", timer=timer)]


def start_timer(board: Board, op: o.StartTimer, ctx: Context) -> Result:
    timer = _timer(board)
    left = timer.left(ctx.at)
    if timer.running and left > 0:
        raise Rejected("conflict", "The timer is already running.")
    remaining = left if left > 0 else float(timer.duration)
    timer = replace(timer, remaining=remaining, started_at=ctx.at)
    return replace(board, timer=timer), [TimerChanged(action="started", timer=timer)]


def pause_timer(board: Board, op: o.PauseTimer, ctx: Context) -> Result:
    timer = _timer(board)
    if not timer.running:
        raise Rejected("conflict", "The timer is not running.")
    timer = replace(timer, remaining=timer.left(ctx.at), started_at=None)
    return replace(board, timer=timer), [TimerChanged(action="paused", timer=timer)]


def reset_timer(board: Board, op: o.ResetTimer, ctx: Context) -> Result:
    timer = _timer(board)
    reset = replace(timer, remaining=float(timer.duration), started_at=None)
    if reset == timer:
        return board, []
    return replace(board, timer=reset), [TimerChanged(action="reset", timer=reset)]


def mmss(seconds: float) -> str:
    """``5:00``, ``1:02:03``: seconds (rounded up) as a countdown shows them."""
    total = max(0, int(-(-seconds // 1)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
