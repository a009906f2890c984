"""The session export's format, version 1: its schema and its strict decoding.

``SessionExport`` holds everything a session is: the forum's board just before it
started, every operation it logged, the board it ended on, its decisions and its next
steps. The schema is versioned (``format`` + ``version``) and documented in
``docs/export.md``; ``decode`` reads a file strictly and says in an ``ImportProblem``
what does not fit. Whether a file that fits is also sound is ``board.export``'s
``verify``. Pure: stdlib and msgspec, no I/O.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import msgspec

from .log import LoggedOp
from .model import Board, Decision, NextStep, TallyLine

FORMAT: Final = "scaleboard.session"
VERSION: Final = 1
FORUM_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class ImportProblem(ValueError):
    """An export that cannot be imported; the message says what is wrong and where."""


class ExportForum(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The forum the session belongs to (its name as it stood when the session ended)."""

    id: str
    kind: str
    name: str


class ExportSession(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The session: when, who, and the range of the forum's seqs it spans."""

    id: str
    number: int
    started_at: float
    started_by: str
    ended_at: float
    ended_by: str
    participants: tuple[str, ...]
    start_seq: int  # the seq of its ``start_session`` operation
    end_seq: int  # the seq of its ``end_session`` operation
    # The sprint it started in, in the exporting network's calendar (SPEC R69):
    # informational, not checked on import (the importing network has its own calendar).
    sprint: int | None = None


class SessionExport(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A whole session, version 1 of the format (see docs/export.md)."""

    format: Literal["scaleboard.session"]
    version: Literal[1]
    exported_at: float
    forum: ExportForum
    session: ExportSession
    start_board: Board  # the forum's board at seq ``start_seq - 1``
    board: Board  # the forum's board at seq ``end_seq``, right after the session ended
    decisions: tuple[Decision, ...]
    next_steps: tuple[NextStep, ...]  # the steps it agreed, as they stand at export time
    operations: tuple[LoggedOp, ...]  # seqs start_seq..end_seq, in order, no gaps
    tally: tuple[TallyLine, ...] = ()  # a retrospective's vote, dots only (SPEC R73)


class _Head(msgspec.Struct):
    """Only the marker fields, read first so a foreign file gets a plain answer."""

    format: Any = None
    version: Any = None


TOO_DEEP: Final = "The file is nested too deeply to be a Scaleboard session export."

_head_decoder = msgspec.json.Decoder(_Head)
_decoder = msgspec.json.Decoder(SessionExport)
_encoder = msgspec.json.Encoder()


def encode(export: SessionExport) -> bytes:
    return _encoder.encode(export)


def decode(data: bytes) -> SessionExport:
    """Decode an export strictly. ``ImportProblem`` says what is wrong: not JSON, not a
    Scaleboard session export, an unsupported version, or a field that does not fit the
    schema (msgspec's path, e.g. ``$.operations[3].op.column``)."""
    try:  # ValidationError is a DecodeError too: the order of the handlers matters
        head = _head_decoder.decode(data)
    except RecursionError:  # msgspec recurses: ~1,000 levels exceed Python's limit
        raise ImportProblem(TOO_DEEP) from None
    except msgspec.ValidationError as e:
        raise ImportProblem(
            f"The file must hold one JSON object, a Scaleboard session export: {e}."
        ) from e
    except msgspec.DecodeError as e:
        raise ImportProblem(f"The file is not valid JSON: {e}.") from e
    if head.format is None:
        raise ImportProblem(
            f"This is not a Scaleboard session export: it has no `format` field "
            f"(expected {FORMAT!r})."
        )
    if head.format != FORMAT:
        raise ImportProblem(
            f"This is not a Scaleboard session export: `format` is {head.format!r}, "
            f"expected {FORMAT!r}."
        )
    if head.version != VERSION:
        raise ImportProblem(
            f"Export version {head.version!r} is not supported; this Scaleboard reads "
            f"version {VERSION}."
        )
    try:
        export = _decoder.decode(data)
    except RecursionError:
        raise ImportProblem(TOO_DEEP) from None
    except msgspec.ValidationError as e:
        raise ImportProblem(f"The export does not fit the schema: {e}.") from e
    except msgspec.DecodeError as e:  # pragma: no cover - the head decoded, so it is JSON
        raise ImportProblem(f"The file is not valid JSON: {e}.") from e
    return export
