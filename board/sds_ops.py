"""The Scaled Daily Scrum's operations (``board/sds.py``, SPEC R54-R56), part of the op
union in ``board/ops.py`` (kept apart to keep that module small). Same wire shape as
every op: a ``type`` tag, unknown fields refused, sizes checked at decoding."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from .model import Name
from .op_base import OpStruct as _Op
from .sds_model import MAX_SDS_ANSWER, MAX_SDS_TEAMS

SdsTeams = Annotated[tuple[Name, ...], msgspec.Meta(max_length=MAX_SDS_TEAMS)]
SdsAnswer = Annotated[str, msgspec.Meta(max_length=MAX_SDS_ANSWER)]


class StartSds(_Op, tag="start_sds", frozen=True):
    """Start the session's Scaled Daily Scrum with ``teams`` in turn (the teams the Scrum
    of Scrums serves) and its 15-minute timebox (``board/sds.py``, SPEC R54)."""

    teams: SdsTeams


class SetSdsSpeaker(_Op, tag="set_sds_speaker", frozen=True):
    """The facilitator names who speaks for ``team`` ("": nobody yet)."""

    team: Name
    speaker: Name


class ClaimSdsTeam(_Op, tag="claim_sds_team", frozen=True):
    """ "I speak for <team>": the sender is recorded as its speaker."""

    team: Name


class AnswerSds(_Op, tag="answer_sds", frozen=True):
    """``team``'s answers to the three questions (each optional, at most 500 characters)."""

    team: Name
    impediments: SdsAnswer | UnsetType = UNSET
    blocking: SdsAnswer | UnsetType = UNSET
    dependencies: SdsAnswer | UnsetType = UNSET


class NextSdsTeam(_Op, tag="next_sds_team", frozen=True):
    """``team`` (the current one) is done, or ``skip``: not here; the next team's turn
    begins, and after the last team the round ends."""

    team: Name
    skip: bool = False


class EndSds(_Op, tag="end_sds", frozen=True):
    """End the round now (teams not reached stay unheard)."""


SdsOp = StartSds | SetSdsSpeaker | ClaimSdsTeam | AnswerSds | NextSdsTeam | EndSds
SDS_OP_TYPES: tuple[type, ...] = (
    StartSds,
    SetSdsSpeaker,
    ClaimSdsTeam,
    AnswerSds,
    NextSdsTeam,
    EndSds,
)
