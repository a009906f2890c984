"""The frames a room sends, built once per audience: pure functions of the board, the
items of a turn and who is connected (no I/O; ``turn.py`` calls them, the room's
adapter delivers what they return).

A delivery is ``(targets, frame)``: ``targets`` is the clients it goes to, or ``None``
for every client connected when the turn ends (the common case: one frame for all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from board import visibility
from board.log import Item
from board.model import Board, Team
from board.protocol import Ack, Batch, Limits, PeerInfo, Reject, Welcome, WireItem
from board.protocol import encode as encode_msg
from board.sync import Accepted, Duplicate, ForumSync, Outcome, Refused, Unchanged
from server.live.holds import Held, Holds
from server.live.messages import Client, OpIn
from server.live.peer import Message, text_message

if TYPE_CHECKING:
    from server.web.render import Renderer

Delivery = tuple[tuple[Client, ...] | None, Message]


def batch_frames(
    renderer: Renderer,
    sync: ForumSync,
    peers: Iterable[Client],
    items: list[Item],
    joined: list[PeerInfo],
    left: list[str],
    held: list[Held],
) -> list[Delivery]:
    """One batch frame for everyone, encoded once. Markup differs by role (a viewer
    gets no buttons: ``render.View``), so a batch that carries markup is encoded
    once per role present; moves carry none and stay one frame for all.

    What a viewer may see (``board.visibility``): authors of anonymous cards are blank
    for everyone, which keeps one frame; only an item carrying a hidden card (or a
    vote) is encoded per viewer, by ``private_frames``."""
    board = sync.board
    if any(visibility.needs_private(i) for i in items):
        return private_frames(renderer, sync, peers, items, joined, left, held)
    if board.retro is not None:  # hidden cards: regions show them face down to all
        items = [visibility.item_for(i, None, board) for i in items]
        board = visibility.board_for(board, None)
    elif any(visibility.touches_private_card(i.events, i.op, board.cards) for i in items):
        items = [visibility.item_for(i, None, board) for i in items]  # anonymous
    wired = [WireItem.of(i) for i in items]
    html = renderer.items_html(items, board)  # as a facilitator sees it
    if not html:
        frame = Batch(items=wired, html=html, joined=joined, left=left, holds=held)
        return [(None, text_message(encode_msg(frame)))]
    by_role: dict[str, list[Client]] = {}
    for peer in peers:
        by_role.setdefault(peer.role, []).append(peer)
    out: list[Delivery] = []
    for role, group in by_role.items():
        shown: Any = role
        markup = html if role == "facilitator" else renderer.items_html(items, board, role=shown)
        batch = Batch(items=wired, html=markup, joined=joined, left=left, holds=held)
        out.append((tuple(group), text_message(encode_msg(batch))))
    return out


def private_frames(
    renderer: Renderer,
    sync: ForumSync,
    peers: Iterable[Client],
    items: list[Item],
    joined: list[PeerInfo],
    left: list[str],
    held: list[Held],
) -> list[Delivery]:
    """A batch that reads differently per viewer: one frame per (role, name)."""
    board = sync.board
    by_viewer: dict[tuple[str, str], list[Client]] = {}
    for peer in peers:
        by_viewer.setdefault((peer.role, peer.person), []).append(peer)
    out: list[Delivery] = []
    for (role, name), group in by_viewer.items():
        shown_role: Any = role
        seen = [visibility.item_for(i, name, board) for i in items]
        shown = visibility.board_for(board, name)
        markup = renderer.items_html(seen, shown, role=shown_role, viewer=name)
        batch = Batch(
            items=[WireItem.of(i) for i in seen], html=markup, joined=joined, left=left, holds=held
        )
        out.append((tuple(group), text_message(encode_msg(batch))))
    return out


def peer_info(peer: Client, board: Board, teams: Mapping[str, Team]) -> PeerInfo:
    """What everyone is told of ``peer``: its name, colour and its person's teams here
    (SPEC R52: team names; never the person's key)."""
    picked = board.members.get(peer.person, ())
    names = tuple(teams[t].name if t in teams else t for t in picked)
    return PeerInfo(peer.id, peer.name, peer.hue, names)


def welcome_frame(
    renderer: Renderer,
    sync: ForumSync,
    peer: Client,
    peers: Iterable[Client],
    hello_epoch: str | None,
    hello_seq: int | None,
    holds: Holds,
    limits: Limits,
) -> Message:
    """What a joining client gets: the items it missed (same epoch, still in memory)
    or the whole board, as this viewer may see them, and who is here."""
    missed = sync.catch_up(hello_epoch, hello_seq)
    board = sync.board
    role: Any = peer.role
    if missed is not None:  # what this viewer may see of them (board.visibility)
        missed = [visibility.item_for(i, peer.person, board) for i in missed]
    real, board = board, visibility.board_for(board, peer.person)
    if missed is None:
        html = renderer.board_regions(board, role=role, viewer=peer.person)
    else:
        html = renderer.items_html(missed, board, role=role, viewer=peer.person)
        if board.timer is not None:  # fresh server time for the countdown
            html.update(renderer.timer_region(renderer.view(board, role=role)))
    welcome = Welcome(
        epoch=sync.epoch,
        seq=board.seq,
        you=peer_info(peer, real, renderer.teams),
        peers=[peer_info(p, real, renderer.teams) for p in peers],
        full=missed is None,
        items=[WireItem.of(i) for i in missed or ()],
        html=html,
        limits=limits,
        holds=holds.current(real),
    )
    return text_message(encode_msg(welcome))


def answer_frame(msg: OpIn, outcome: Outcome) -> Message | None:
    """The ack or reject frame for a websocket client's op (``None``: it has no peer to
    answer, or no op id to answer by; an HTTP caller gets ``outcome`` itself)."""
    if msg.reply is not None or msg.peer is None or msg.op_id is None:
        return None
    answer: Ack | Reject
    if isinstance(outcome, Refused):
        answer = Reject(id=msg.op_id, code=outcome.code, reason=outcome.reason)
    elif isinstance(outcome, Accepted):
        answer = Ack(id=msg.op_id, seq=outcome.item.seq)
    else:
        assert isinstance(outcome, Unchanged | Duplicate)
        answer = Ack(id=msg.op_id, seq=outcome.seq, duplicate=isinstance(outcome, Duplicate))
    return text_message(encode_msg(answer))
