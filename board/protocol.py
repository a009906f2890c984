"""The live protocol's messages: JSON text frames, each a tagged ``msgspec.Struct``.

``docs/protocol.md`` describes them for people; ``SPEC.md`` states the rules. Decoding
is strict: unknown types, unknown fields, wrong types and over-long strings all fail
in ``decode_client`` with a message that names the offending field.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from .events import Event
from .log import Item
from .model import MAX_ID, Id
from .ops import ClientOp

PROTOCOL_VERSION: Final = 1

Seq = Annotated[int, msgspec.Meta(ge=0)]
Epoch = Annotated[str, msgspec.Meta(max_length=64)]


class _Msg(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True):
    pass


# -- client to server ---------------------------------------------------------------


class Hello(_Msg, tag="hello", frozen=True):
    """First message on a connection: where the client's copy of the board stands."""

    last_seq: Seq | None = None
    epoch: Epoch | None = None


# A client's op id: ``mail:…`` is the server's, for the mail it delivers (SPEC R18a).
ClientOpId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID, pattern=r"^(?!mail:)")]


class Send(_Msg, tag="op", frozen=True):
    """An operation with the client's id for it; resending the same id is safe (R6)."""

    id: ClientOpId
    op: ClientOp


class Ping(_Msg, tag="ping", frozen=True):
    pass


class Hold(_Msg, tag="hold", frozen=True):
    """The sender is dragging or editing ``card`` (``None``: let go). Ephemeral: never
    logged, no seq, relayed to the others in the next batch (SPEC R29)."""

    card: Id | None = None


ClientMessage = Hello | Send | Ping | Hold


# -- server to client ---------------------------------------------------------------


class PeerInfo(msgspec.Struct, frozen=True):
    """One connection in the forum (presence); ``teams``: the names of the teams its
    person said they are in here (SPEC R52), sent again (as ``joined``) when they change."""

    id: str
    name: str
    hue: int
    teams: tuple[str, ...] = ()


class Held(msgspec.Struct, frozen=True):
    """Who has which card (SPEC R29): a peer's id and the card it is dragging or editing
    (``None``: it let go)."""

    peer: str
    card: str | None


class WireItem(msgspec.Struct, frozen=True):
    """An item (``board.log.Item``) as the protocol sends it: without its ``op``, the
    fields in this order (``docs/protocol.md``)."""

    seq: int
    op_id: str | None
    actor: str
    at: float
    events: tuple[Event, ...]

    @classmethod
    def of(cls, item: Item) -> WireItem:
        return cls(seq=item.seq, op_id=item.op_id, actor=item.actor, at=item.at, events=item.events)


class Limits(msgspec.Struct, frozen=True):
    max_message_bytes: int
    ops_per_second: int


class Welcome(_Msg, tag="welcome", frozen=True):
    """Answer to ``hello``: a delta (``full`` false, ``items``) or the whole board."""

    epoch: str
    seq: int
    you: PeerInfo
    peers: list[PeerInfo]
    full: bool
    items: list[WireItem]
    html: dict[str, str]
    limits: Limits
    holds: list[Held] = []  # who has which card now (R29)


class Batch(_Msg, tag="batch", frozen=True):
    """Everything that happened since the last batch, in seq order (R5)."""

    items: list[WireItem]
    html: dict[str, str]
    joined: list[PeerInfo] = []
    left: list[str] = []
    holds: list[Held] = []  # holds taken or let go since the last batch (R29)


class Ack(_Msg, tag="ack", frozen=True):
    id: str
    seq: int
    duplicate: bool = False


class Reject(_Msg, tag="reject", frozen=True):
    id: str
    code: str
    reason: str


class Error(_Msg, tag="error", frozen=True):
    """A message that could not be read at all; the connection stays open (R10)."""

    code: str
    reason: str


class Pong(_Msg, tag="pong", frozen=True):
    pass


class Resync(_Msg, tag="resync", frozen=True):
    """The server lost track of what this client has; send ``hello`` again (R9)."""

    reason: str


ServerMessage = Welcome | Batch | Ack | Reject | Error | Pong | Resync

_client_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)
_server_decoder: msgspec.json.Decoder[ServerMessage] = msgspec.json.Decoder(ServerMessage)
_encoder = msgspec.json.Encoder()


class BadMessage(ValueError):
    """A client message that is not valid JSON or does not fit the schema."""


def decode_client(data: str | bytes) -> ClientMessage:
    """Read a client frame; any frame that is not a valid message raises ``BadMessage``
    (SPEC R12), never anything else."""
    try:
        return _client_decoder.decode(data)
    except msgspec.DecodeError as e:  # ValidationError is a DecodeError
        raise BadMessage(str(e)) from None
    except UnicodeError as e:  # bytes that are not UTF-8, or a str with lone surrogates
        raise BadMessage(f"Not valid UTF-8: {e}") from None
    except RecursionError:  # msgspec skips an unknown value recursively: deep nesting
        raise BadMessage("The message is nested too deeply.") from None


def decode_server(data: str | bytes) -> ServerMessage:
    """For clients and tests: read a server frame."""
    return _server_decoder.decode(data)


def encode(msg: ServerMessage | ClientMessage) -> bytes:
    return _encoder.encode(msg)
