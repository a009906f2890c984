"""The shared timer (issue 5) in ``board``: its arithmetic from the context's times,
what it refuses, who may run it, and how history says it."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board.access import can, needed
from board.apply import Context, Rejected, apply
from board.describe import describe
from board.events import TimerChanged
from board.model import Board, Timer, new_board
from board.protocol import decode_client
from board.timer import mmss


def at(board: Board, op: o.Op, when: float, actor: str = "Fay") -> tuple[Board, list[object]]:
    before = msgspec.json.encode(board)
    new, events = apply(board, op, Context(seq=board.seq + 1, at=when, actor=actor))
    assert msgspec.json.encode(board) == before  # apply never mutates its input
    return new, list(events)


def timer_of(board: Board) -> Timer:
    assert board.timer is not None
    return board.timer


@pytest.fixture
def board() -> Board:
    b, _ = at(new_board("f1", "sos", "SoS"), o.SetTimer(duration=300), 1000.0)
    return b


def test_set_timer_makes_a_stopped_timer(board: Board) -> None:
    t = timer_of(board)
    assert t == Timer(duration=300, remaining=300.0, started_at=None)
    assert not t.running and t.left(5000.0) == 300.0
    assert board.seq == 1


def test_start_pause_resume_and_reset_from_context_times(board: Board) -> None:
    board, events = at(board, o.StartTimer(), 2000.0)
    assert events == [TimerChanged(action="started", timer=timer_of(board))]
    assert timer_of(board) == Timer(300, 300.0, 2000.0)
    assert timer_of(board).left(2060.0) == 240.0
    board, events = at(board, o.PauseTimer(), 2100.0)  # 100 s ran
    assert timer_of(board) == Timer(300, 200.0, None)
    assert timer_of(board).left(9999.0) == 200.0  # paused: time does not pass
    board, _ = at(board, o.StartTimer(), 3000.0)  # resume where it was
    assert timer_of(board) == Timer(300, 200.0, 3000.0)
    assert timer_of(board).left(3150.0) == 50.0
    assert timer_of(board).left(4000.0) == 0.0  # never below zero
    board, events = at(board, o.ResetTimer(), 3050.0)
    assert timer_of(board) == Timer(300, 300.0, None)
    assert [e.action for e in events if isinstance(e, TimerChanged)] == ["reset"]


def test_start_after_it_ran_out_starts_over(board: Board) -> None:
    board, _ = at(board, o.StartTimer(), 2000.0)
    board, _ = at(board, o.StartTimer(), 2301.0)  # ran out at 2300: not "already running"
    assert timer_of(board) == Timer(300, 300.0, 2301.0)


def test_the_same_ops_give_the_same_timer() -> None:
    ops: list[tuple[o.Op, float]] = [
        (o.SetTimer(duration=90), 10.0),
        (o.StartTimer(), 20.0),
        (o.PauseTimer(), 50.5),
        (o.StartTimer(), 70.0),
    ]
    results = []
    for _ in range(2):
        b = new_board("f1", "sos", "SoS")
        for op, when in ops:
            b, _ = at(b, op, when)
        results.append(b)
    assert results[0] == results[1]
    assert timer_of(results[0]) == Timer(90, 59.5, 70.0)


def test_setting_a_new_duration_stops_it(board: Board) -> None:
    board, _ = at(board, o.StartTimer(), 2000.0)
    board, events = at(board, o.SetTimer(duration=60), 2010.0)
    assert timer_of(board) == Timer(60, 60.0, None)
    assert [e.action for e in events if isinstance(e, TimerChanged)] == ["set"]


@pytest.mark.parametrize("seconds", [0, -5, 4 * 3600 + 1, 999_999])
def test_a_duration_outside_one_second_to_four_hours_is_refused(seconds: int) -> None:
    with pytest.raises(Rejected) as e:
        at(new_board("f1", "sos", "SoS"), o.SetTimer(duration=seconds), 1.0)
    assert e.value.code == "invalid"


@pytest.mark.parametrize("seconds", [1, 4 * 3600])
def test_the_bounds_are_allowed(seconds: int) -> None:
    b, _ = at(new_board("f1", "sos", "SoS"), o.SetTimer(duration=seconds), 1.0)
    assert timer_of(b).duration == seconds


def test_a_huge_duration_fails_at_decoding() -> None:
    from board.protocol import BadMessage

    frame = '{"type": "op", "id": "x", "op": {"type": "set_timer", "duration": 10000000}}'
    with pytest.raises(BadMessage):
        decode_client(frame)


def test_pause_when_not_running_is_refused(board: Board) -> None:
    with pytest.raises(Rejected) as e:
        at(board, o.PauseTimer(), 2000.0)
    assert e.value.code == "conflict"


def test_start_when_running_is_refused(board: Board) -> None:
    board, _ = at(board, o.StartTimer(), 2000.0)
    with pytest.raises(Rejected) as e:
        at(board, o.StartTimer(), 2010.0)
    assert e.value.code == "conflict"


@pytest.mark.parametrize("op", [o.StartTimer(), o.PauseTimer(), o.ResetTimer()])
def test_no_timer_yet_is_refused(op: o.Op) -> None:
    with pytest.raises(Rejected) as e:
        at(new_board("f1", "sos", "SoS"), op, 1.0)
    assert e.value.code == "conflict"


def test_reset_of_a_reset_timer_changes_nothing(board: Board) -> None:
    new, events = at(board, o.ResetTimer(), 2000.0)
    assert events == [] and new is board


@pytest.mark.parametrize(
    "op", [o.SetTimer(duration=60), o.StartTimer(), o.PauseTimer(), o.ResetTimer()]
)
def test_only_a_facilitator_runs_the_timer(op: o.ClientOp) -> None:
    assert needed(op) == "facilitator"
    assert can("facilitator", op)
    assert not can("participant", op)
    assert not can("viewer", op)
    assert not can(None, op)


def test_history_says_what_happened_to_the_timer(board: Board) -> None:
    def line(b: Board, op: o.Op, when: float) -> tuple[Board, str]:
        new, events = apply(b, op, Context(seq=b.seq + 1, at=when, actor="Fay"))
        return new, describe(b, events, "Fay")

    b, text = line(new_board("f1", "sos", "SoS"), o.SetTimer(duration=300), 1.0)
    assert text == "Fay set the timer to 5:00"
    b, text = line(b, o.StartTimer(), 10.0)
    assert text == "Fay started the timer (5:00)"
    b, text = line(b, o.PauseTimer(), 70.0)
    assert text == "Fay paused the timer with 4:00 left"
    b, text = line(b, o.StartTimer(), 100.0)
    assert text == "Fay resumed the timer with 4:00 left"
    b, text = line(b, o.ResetTimer(), 110.0)
    assert text == "Fay reset the timer to 5:00"


def test_mmss() -> None:
    assert mmss(0) == "0:00"
    assert mmss(59.2) == "1:00"  # rounded up, as a countdown shows it
    assert mmss(300) == "5:00"
    assert mmss(3723) == "1:02:03"
