"""The demo network is made of scripts that step their own clocks; none may end in the
future (links "since" tomorrow, sessions not yet held), whatever the time it is made."""

from __future__ import annotations

import time

import pytest

from server.demo import HOUR, demo_scripts


@pytest.mark.parametrize("offset_days", [0, 3.5, 11])
def test_no_demo_forum_has_an_op_after_now(offset_days: float) -> None:
    now = time.time() + offset_days * 24 * HOUR
    scripts = demo_scripts(now)
    assert {s.board.forum_id for s in scripts} >= {"sos-commerce", "eat", "retro-q4"}
    late = {s.board.forum_id: round((s.at - now) / HOUR, 1) for s in scripts if s.at > now - HOUR}
    assert not late, f"hours after now: {late}"
