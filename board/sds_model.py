"""The Scaled Daily Scrum's round as board state (``board/sds.py`` runs it, SPEC R54-R56).

A round takes the teams a Scrum of Scrums serves in turn. Each turn records who spoke
for the team and their short answers to the three questions; the round keeps when it
started and ended, so its length is measured against its 15-minute timebox. Plain
frozen data (stdlib + msgspec), like ``board/model.py``, which holds it on the board.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

SDS_TIMEBOX: Final = 15 * 60  # seconds: the Scaled Daily Scrum's timebox
MAX_SDS_TEAMS: Final = 20  # teams one round takes in turn
MAX_SDS_ANSWER: Final = 500  # characters of one answer

TurnStatus = Literal["waiting", "current", "done", "skipped"]

QUESTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("impediments", "Impediments threatening our Sprint Goal or the release?"),
    ("blocking", "Are we blocking another team?"),
    ("dependencies", "New dependencies found, or a way to resolve one?"),
)
"""The three questions of the Scaled Daily Scrum: (the answer's field, the question)."""


class SdsTurn(msgspec.Struct, frozen=True):
    """One team's turn: ``waiting`` (not reached yet), ``current``, ``done`` or
    ``skipped`` (nobody there); who spoke for it and what they answered."""

    team: str
    status: TurnStatus = "waiting"
    speaker: str = ""  # the display name of whoever speaks for the team
    impediments: str = ""
    blocking: str = ""
    dependencies: str = ""
    started_at: float | None = None
    ended_at: float | None = None


class ScaledDaily(msgspec.Struct, frozen=True):
    """The round of session ``session_id``: running while ``ended_at`` is ``None``. The
    board keeps it after it ends (and after the session ends) until the next round, so
    the board a session ended with records it."""

    session_id: str
    started_at: float
    started_by: str
    turns: tuple[SdsTurn, ...]
    timebox: int = SDS_TIMEBOX
    ended_at: float | None = None
    ended_by: str = ""

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def current(self) -> int | None:
        """The index of the team whose turn it is (``None``: none, the round is over)."""
        for i, turn in enumerate(self.turns):
            if turn.status == "current":
                return i
        return None

    def turn(self, team: str) -> SdsTurn | None:
        for turn in self.turns:
            if turn.team == team:
                return turn
        return None

    def seconds(self, now: float) -> float:
        """How long the round ran (until ``now`` while it runs)."""
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.started_at)
