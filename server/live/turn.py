"""The decision of a room's turn, as a pure step (no asyncio, no I/O).

``RoomState`` holds what a live forum is: its ``ForumSync`` (board, seq, op ids,
history), who is connected, who holds which card, and how many ops since the last
snapshot. ``RoomState.turn`` takes the messages of one turn and returns a ``Plan``:
the frames to send now, per audience and encoded once; the accepted items to append
to the log (with or without a snapshot); the answers to send once that append is
durable; what HTTP callers are told now; and whether the room should go or reload.
The room task (``rooms.py``) only carries a plan out, the way the ``websockets``
library's sans-I/O protocol objects are driven by an adapter; tests drive this step
with plain data (``tests/test_room_turn.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from board import ops as o
from board.access import can
from board.log import Item
from board.people import carried_pick
from board.protocol import Limits, PeerInfo, Resync
from board.protocol import encode as encode_msg
from board.sync import Accepted, ForumSync, Outcome, Refused
from server.live.frames import Delivery, answer_frame, batch_frames, peer_info, welcome_frame
from server.live.holds import Held, HoldIn, Holds
from server.live.messages import Client, Idle, Join, Leave, OpIn, Reload, RoomMessage, Stop
from server.live.peer import Message, text_message

if TYPE_CHECKING:
    from board.access import Role
    from server.web.render import Renderer

STORAGE_REFUSED = Refused(code="storage", reason="The server could not save this; try again.")


class Plan:
    """What one turn decided; the adapter carries it out in this order: ``replies``,
    ``frames``, then ``accepted`` to the log with ``answers`` once it is durable."""

    __slots__ = (
        "accepted",
        "action",
        "answers",
        "emptied",
        "frames",
        "joined",
        "replies",
        "snapshot",
    )

    def __init__(self) -> None:
        self.frames: list[Delivery] = []  # now, in order
        self.replies: list[tuple[OpIn, Outcome]] = []  # HTTP callers answered now
        self.accepted: list[Accepted] = []  # to append, in seq order
        self.snapshot = False  # append a snapshot of the last board with them
        self.answers: list[tuple[OpIn, Outcome]] = []  # once what they depend on is durable
        self.joined = False  # someone joined: the room is not idle
        self.emptied = False  # the last client left
        self.action: str | None = None  # "evict" (if still nobody) or "reload"


class RoomState:
    """One live forum and everyone connected to it, without I/O."""

    def __init__(
        self, sync: ForumSync, renderer: Renderer, *, limits: Limits, snapshot_every: int
    ) -> None:
        self.sync = sync
        self.renderer = renderer
        self.limits = limits
        self.snapshot_every = snapshot_every
        self.peers: dict[str, Client] = {}
        self.holds = Holds()  # who is dragging or editing which card (R29)
        self.since_snapshot = 0  # ops appended since the last snapshot
        # Client id -> the seq its last welcome of this epoch covered: it has had every
        # batch since, so another hello on that connection gets a delta from there (R3).
        self.welcomed: dict[str, int] = {}

    def turn(self, batch: list[RoomMessage], now: float, teams: frozenset[str]) -> Plan:
        """Decide one batch of messages, in order."""
        plan = Plan()
        accepted = plan.accepted
        joined: list[PeerInfo] = []
        left: list[str] = []
        fresh: dict[str, int] = {}  # welcomed in this turn: client id -> seq covered
        for msg in batch:
            kind = type(msg)
            if kind is OpIn:
                assert isinstance(msg, OpIn)
                outcome = self.sync.submit(
                    msg.op, op_id=msg.op_id, actor=msg.actor, at=now, teams=teams, by=msg.by
                )
                if type(outcome) is Refused:
                    self._answer_now(plan, msg, outcome)
                    continue
                plan.answers.append((msg, outcome))
                if type(outcome) is Accepted:
                    accepted.append(outcome)  # type: ignore[arg-type]
                    if type(msg.op) is o.SetMyTeams:  # R52: everyone sees the new teams
                        joined.extend(self._people_of(msg.by or msg.actor))
                    if type(msg.op) is o.StartSession:
                        people = [p for p in self.peers.values() if attends(p)]
                        self._note_presence(people, now, accepted)
            elif kind is Join:
                assert isinstance(msg, Join)
                if msg.teams and not msg.peer.closed:  # R74: before its welcome
                    joined.extend(self._carry_teams(msg, now, teams, accepted))
                info = self._join(plan, msg, fresh)
                if info is not None:
                    joined.append(info)
                    self.holds.rejoin(msg.peer.id, msg.peer.person, self.sync.board)  # R44
                    if attends(msg.peer):
                        self._note_presence([msg.peer], now, accepted)
            elif kind is Leave:
                assert isinstance(msg, Leave)
                if self.peers.pop(msg.peer.id, None) is not None:
                    self.welcomed.pop(msg.peer.id, None)
                    left.append(msg.peer.id)
                    self.holds.release(msg.peer.id, msg.peer.person)
                    if not self.peers:
                        plan.emptied = True
            elif kind is HoldIn:
                assert isinstance(msg, HoldIn)
                error = self.holds.take(msg, self.sync.board)
                if error is not None:
                    plan.frames.append(((msg.peer,), error))
            elif kind is Idle:
                plan.action = "evict"
            elif kind is Reload:
                plan.action = "reload"
            elif kind is Stop:
                plan.action = "stop"
        held = self.holds.drain()
        if accepted or joined or left or held:
            items = [a.item for a in accepted]
            if fresh and items and max(fresh.values()) >= items[0].seq:
                plan.frames.extend(self._after_welcomes(items, joined, left, held, fresh))
            else:
                peers = self.peers.values()
                plan.frames.extend(
                    batch_frames(self.renderer, self.sync, peers, items, joined, left, held)
                )
        if accepted:
            self.since_snapshot += len(accepted)
            if self.since_snapshot >= self.snapshot_every:
                plan.snapshot = True
                self.since_snapshot = 0
        if plan.emptied and self.peers:
            plan.emptied = False  # someone joined after the last one left
        return plan

    def reload(self, sync: ForumSync) -> Message:
        """The forum as storage has it (after a failed write, R11): a new epoch, nothing
        unsnapshotted; the ``resync`` frame for every client, which makes each one
        join again and catch up from the stored board."""
        self.sync = sync
        self.since_snapshot = 0
        self.welcomed.clear()  # a new epoch: every client gets the whole board again
        return text_message(encode_msg(Resync(reason="The board was reloaded.")))

    def _answer_now(self, plan: Plan, msg: OpIn, outcome: Outcome) -> None:
        if msg.reply is not None:
            plan.replies.append((msg, outcome))
            return
        frame = answer_frame(msg, outcome)
        if frame is not None:
            assert msg.peer is not None
            plan.frames.append(((msg.peer,), frame))

    def _join(self, plan: Plan, msg: Join, fresh: dict[str, int]) -> PeerInfo | None:
        peer = msg.peer
        if peer.closed:
            return None
        is_new = peer.id not in self.peers
        self.peers[peer.id] = peer
        plan.joined = True
        sync = self.sync
        epoch, last = msg.hello.epoch, msg.hello.last_seq
        seen = self.welcomed.get(peer.id)
        if seen is not None and (epoch != sync.epoch or not seen <= (last or -1) <= sync.seq):
            # R3: this connection has the board as of its last welcome and every batch
            # since; another hello gets a delta from there, never the whole board again.
            epoch, last = sync.epoch, seen
        welcome = welcome_frame(
            self.renderer, sync, peer, self.peers.values(), epoch, last, self.holds, self.limits
        )
        plan.frames.append(((peer,), welcome))
        fresh[peer.id] = self.welcomed[peer.id] = sync.seq
        return peer_info(peer, sync.board, self.renderer.teams) if is_new else None

    def _carry_teams(
        self, msg: Join, now: float, teams: frozenset[str], accepted: list[Accepted]
    ) -> list[PeerInfo]:
        """Apply the joining person's carried pick where they have none (SPEC R74): an
        ordinary ``set_my_teams`` by them; the presence of their other connections."""
        peer = msg.peer
        if not attends(peer) or not can(cast("Role", peer.role), "set_my_teams"):  # R75
            return []
        op = carried_pick(self.sync.board, peer.person, msg.teams, teams)
        if op is None:
            return []
        outcome = self.sync.submit(
            op, op_id=None, actor=peer.name, at=now, teams=teams, by=peer.person
        )
        if type(outcome) is not Accepted:
            return []
        accepted.append(outcome)
        return self._people_of(peer.person)  # the joining connection comes with its welcome

    def _people_of(self, who: str) -> list[PeerInfo]:
        """Presence of every connection of the person ``who`` (their key), as it is now."""
        board, teams = self.sync.board, self.renderer.teams
        return [peer_info(p, board, teams) for p in self.peers.values() if p.person == who]

    def _after_welcomes(
        self,
        items: list[Item],
        joined: list[PeerInfo],
        left: list[str],
        held: list[Held],
        fresh: dict[str, int],
    ) -> list[Delivery]:
        """The turn's batch when someone was welcomed after some of its items: each
        client gets the items its welcome did not carry (R3, R5), so nobody receives an
        item twice; those welcomed before them (or not at all this turn) get them all."""
        by_covered: dict[int, list[Client]] = {}
        for peer in self.peers.values():
            by_covered.setdefault(fresh.get(peer.id, -1), []).append(peer)
        out: list[Delivery] = []
        for covered, group in by_covered.items():
            shown = [i for i in items if i.seq > covered]
            if not (shown or joined or left or held):
                continue
            frames = batch_frames(self.renderer, self.sync, group, shown, joined, left, held)
            out.extend((tuple(group) if to is None else to, m) for to, m in frames)
        return out

    def _note_presence(self, peers: list[Client], now: float, accepted: list[Accepted]) -> None:
        """Count connected people as taking part (SPEC R43: by person, once each)."""
        session = self.sync.board.session
        if session is None:
            return
        missing = {p.person: p.name for p in peers if p.person not in session.people}
        if not missing:
            return
        op = o.NotePresence(names=tuple(missing.values()), people=tuple(missing))
        outcome = self.sync.submit(op, op_id=None, actor="", at=now)
        if isinstance(outcome, Accepted):
            accepted.append(outcome)


def attends(peer: Client) -> bool:
    """Whether a connection is someone who takes part (SPEC R43, R75): never a viewer,
    the projector or a token's connection, which so never count for a team."""
    return peer.takes_part and peer.role != "viewer"


def answers_after_commit(
    answers: list[tuple[OpIn, Outcome]], durable: bool
) -> tuple[list[tuple[OpIn, Outcome]], dict[Client, list[Message]]]:
    """What to tell the senders of ``answers`` once the write they wait for is settled:
    (HTTP callers with their outcome, each websocket client with its ack/reject frames,
    one list per client so that it gets one write). A failed write refuses them all."""
    replies: list[tuple[OpIn, Outcome]] = []
    frames: dict[Client, list[Message]] = {}
    for msg, outcome in answers:
        told = outcome if durable else STORAGE_REFUSED
        if msg.reply is not None:
            replies.append((msg, told))
            continue
        frame = answer_frame(msg, told)
        if frame is not None:
            assert msg.peer is not None
            frames.setdefault(msg.peer, []).append(frame)
    return replies, frames
