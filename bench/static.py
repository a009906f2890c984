"""In-process figures: rendering a 500-card forum page, and stepping a long replay."""

from __future__ import annotations

import random
import time
from typing import Any

from board import ops as o
from board.apply import Context, apply
from board.history import Timeline
from board.log import LoggedOp
from board.model import Board, new_board
from server.config import TEMPLATES_DIR
from server.forums.pages import LIMITS
from server.web.render import Renderer


def timings(fn: Any, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return {
        "n": repeat,
        "p50_ms": samples[len(samples) // 2] * 1000,
        "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000,
        "max_ms": samples[-1] * 1000,
    }


def big_board(cards: int, seed: int = 1) -> tuple[Board, list[LoggedOp]]:
    """A Scrum of Scrums with ``cards`` cards, built by applying operations."""
    rng = random.Random(seed)
    board = new_board("bench", "sos", "Bench SoS")
    columns = [c.id for c in board.columns]
    log: list[LoggedOp] = []
    for i in range(cards):
        op = o.AddCard(
            column=rng.choice(columns),
            title=f"Impediment {i}: the staging environment <is> down & teams wait",
            body="Teams lose half a day each time; integration tests cannot run." if i % 3 else "",
            owner="Maya Chen" if i % 2 else "",
            index=rng.randint(0, 50),
        )
        ctx = Context(seq=board.seq + 1, at=1.7e9 + i, actor="bench")
        board, _ = apply(board, op, ctx)
        log.append(LoggedOp(seq=ctx.seq, actor="bench", at=ctx.at, op=op))
    return board, log


def page_render(quick: bool) -> dict[str, Any]:
    board, _ = big_board(500)
    renderer = Renderer(TEMPLATES_DIR)
    template = renderer.env.get_template("forum.html")

    def render() -> None:
        template.render(
            teams=renderer.teams,
            view=renderer.view(board),
            epoch="e",
            peers=[],
            name="Bench",
            limits=LIMITS,
            my_teams=(),  # as forum_page passes them (server/forums/pages.py)
            people=[],
            served=(),
            escalates_up="",
        )

    def render_cold() -> None:
        renderer.cards.clear()  # as if every card had changed since the last render
        render()

    render()
    page = timings(render, 20 if quick else 300)
    cold = timings(render_cold, 20 if quick else 300)
    regions = timings(lambda: renderer.board_regions(board), 20 if quick else 300)
    print(
        f"render 500-card forum page | p50 {page['p50_ms']:.2f} ms | p99 {page['p99_ms']:.2f} ms"
        f" | every card changed: p50 {cold['p50_ms']:.2f} ms, p99 {cold['p99_ms']:.2f} ms"
        f" | full catch-up regions p99 {regions['p99_ms']:.2f} ms",
        flush=True,
    )
    return {"page": page, "cold": cold, "regions": regions}


def replay_step(quick: bool) -> dict[str, Any]:
    """Any step of a long session from the nearest checkpoint (one every 100 ops)."""
    n_ops = 1000 if quick else 10_000
    board, _log = big_board(200)
    start = board
    rng = random.Random(2)
    ids = list(board.cards)
    columns = [c.id for c in board.columns]
    session_log: list[LoggedOp] = []
    for i in range(n_ops):
        op = o.MoveCard(card=rng.choice(ids), column=rng.choice(columns), index=rng.randint(0, 60))
        ctx = Context(seq=board.seq + 1, at=1.8e9 + i, actor="bench")
        new, events = apply(board, op, ctx)
        if events:
            board = new
            session_log.append(LoggedOp(seq=ctx.seq, actor="bench", at=ctx.at, op=op))
    every = 100
    timeline = Timeline(start, session_log, every=every)

    def step() -> None:
        timeline.board_at(rng.randint(0, len(session_log)))

    result = timings(step, 50 if quick else 500)
    print(
        f"replay step in a {len(session_log)}-op session (checkpoint every {every})"
        f" | p50 {result['p50_ms']:.2f} ms | p99 {result['p99_ms']:.2f} ms",
        flush=True,
    )
    return result
