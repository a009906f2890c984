"""Next-step follow-through: for each session, how many of the next steps it agreed were
done by the time the forum's next session started. The rule is in ``metrics.py``'s
docstring ("Next-step follow-through"). Pure: data in, data out."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .metrics_facts import ForumHistory, StepFact
from .periods import Period


class FollowThrough(msgspec.Struct, frozen=True):
    """A session's next steps, as they stood when the forum's next session started."""

    forum_id: str
    session_id: str
    number: int
    started_at: float
    steps: int
    next_session_id: str | None = None
    next_started_at: float | None = None
    done: int = 0
    dropped: int = 0
    still_open: int = 0
    rate: float | None = None  # done / steps; None: no next session yet, or no steps


class FollowThroughSummary(msgspec.Struct, frozen=True):
    sessions: int = 0  # sessions with steps and a next session
    steps: int = 0
    done: int = 0
    rate: float | None = None


def follow_through(history: ForumHistory, period: Period) -> list[FollowThrough]:
    """Per session that started in the period: its steps at the next session's start."""
    sessions = sorted(history.sessions, key=lambda s: s.number)
    by_session: dict[str, list[StepFact]] = {}
    for st in history.steps:
        by_session.setdefault(st.session_id, []).append(st)
    out: list[FollowThrough] = []
    for i, s in enumerate(sessions):
        if s.started_at not in period:
            continue
        steps = by_session.get(s.id, [])
        nxt = sessions[i + 1] if i + 1 < len(sessions) else None
        if nxt is None:
            out.append(
                FollowThrough(
                    forum_id=history.forum_id,
                    session_id=s.id,
                    number=s.number,
                    started_at=s.started_at,
                    steps=len(steps),
                    still_open=sum(1 for st in steps if st.status_at(period.end) == "open"),
                )
            )
            continue
        status = [st.status_at(nxt.started_at) for st in steps]
        done = status.count("done")
        out.append(
            FollowThrough(
                forum_id=history.forum_id,
                session_id=s.id,
                number=s.number,
                started_at=s.started_at,
                steps=len(steps),
                next_session_id=nxt.id,
                next_started_at=nxt.started_at,
                done=done,
                dropped=status.count("dropped"),
                still_open=status.count("open"),
                rate=done / len(steps) if steps else None,
            )
        )
    return out


def summary(rows: Iterable[FollowThrough]) -> FollowThroughSummary:
    counted = [r for r in rows if r.rate is not None]
    steps = sum(r.steps for r in counted)
    done = sum(r.done for r in counted)
    return FollowThroughSummary(
        sessions=len(counted), steps=steps, done=done, rate=done / steps if steps else None
    )
