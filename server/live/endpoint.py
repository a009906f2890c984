"""The websocket endpoint: read frames, check them, hand them to the forum's room.

This is the only place a client's bytes enter the server live. Everything is checked
here or in the schema before a room sees it: access (R2a: the handshake needs a role on
the forum, else ``error`` forbidden and close 4403; each op's type against that role,
else ``reject`` forbidden; a rotated link closes the socket with 4403), size (``error``
too_large, then close 1009; uvicorn itself closes frames too large even to read), JSON
and schema (``error`` back to the sender, SPEC R12; a frame the decoder fails on in
any other way too, logged with its traceback), hello first (R2), and the
per-connection rate (R14: ops, holds, pings and every hello after the first). The room
answers ops; this task only reads. An unexpected error is logged with its traceback
and closes the socket with 1011 (the client reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any, cast
from urllib.parse import urlsplit

from litestar import WebSocket, websocket
from litestar.datastructures import Headers
from litestar.exceptions import WebSocketDisconnect

from board.access import can, refusal
from board.protocol import (
    BadMessage,
    Error,
    Hello,
    Hold,
    Pong,
    Reject,
    Send,
    decode_client,
    encode,
)
from server.access.identity import (
    COOKIE,
    api_key,
    api_label,
    carried_teams,
    current_person,
    guest_name,
    new_person,
    person_key,
    verify,
)
from server.access.service import Denied, Watch
from server.config import SERVER_SEND
from server.live.holds import HoldIn
from server.live.ownership import ForumElsewhere
from server.live.peer import Peer, text_message
from server.live.peer import Send as AsgiSend
from server.live.rooms import Join, Leave, OpIn, Room, RoomClosed, RoomMessage
from server.live.transport import forget_handshake
from server.web.deps import AccessDep, RoomsDep, SecretDep, SettingsDep
from server.web.render import hue

log = logging.getLogger("scaleboard.live")

CLOSE_UNKNOWN_FORUM = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_LATER = 1013
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011


class TokenBucket:
    """``rate`` operations a second on average, with bursts up to ``burst``."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def same_origin(origin: str, host: str | None) -> bool:
    """Whether a browser's Origin header names the host it connected to."""
    if not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def too_large(data: str | bytes, limit: int) -> bool:
    """Whether a frame is over ``limit`` bytes of UTF-8 (cheap for the usual small frame)."""
    n = len(data)
    if n > limit:
        return True
    if isinstance(data, str) and n * 4 > limit:
        return len(data.encode("utf-8", "surrogatepass")) > limit
    return False


def _error(code: str, reason: str) -> dict[str, object]:
    return text_message(encode(Error(code=code, reason=reason)))


PONG = text_message(encode(Pong()))
SLOW_DOWN = _error("rate_limited", "Too many messages; slow down.")


def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()


class LiveSocket(WebSocket[Any, Any, Any]):
    """A WebSocket that keeps the server's own ASGI ``send`` (put in the scope by
    ``keep_server_send``, else the one Litestar passes): the fan-out calls it directly,
    not through Litestar's wrappers (the hot path, see peer.py)."""

    # Litestar's WebSocket has slots: no __dict__ for two fields
    __slots__ = ("raw_receive", "raw_send")

    def __init__(self, scope: Any, receive: Any, send: Any) -> None:
        super().__init__(scope, receive, send)
        self.raw_send = scope.get(SERVER_SEND, send)
        # After the handshake the read loop awaits the server's own ``receive``: an idle
        # connection then waits in uvicorn's future alone, not also in Litestar's
        # wrapper coroutine (memory per idle connection, docs/performance.md).
        self.raw_receive = receive

    # The handshake reads a few headers; Litestar would keep the parsed ``Headers``
    # (about 1.3 KB: a multidict of every header) in the scope for as long as the
    # connection lasts. Here each read parses the raw headers afresh and nothing is
    # kept (memory per idle connection, docs/performance.md). Cookies are still read,
    # and cached, as Litestar reads them.
    @property
    def headers(self) -> Headers:
        return Headers(self.scope["headers"])


@websocket("/forums/{forum_id:str}/live", websocket_class=LiveSocket)
async def live(
    socket: WebSocket,
    forum_id: str,
    rooms: RoomsDep,
    settings: SettingsDep,
    secret: SecretDep,
    access: AccessDep,
) -> None:
    """One client's live connection to one forum (SPEC R1-R16)."""
    origin = socket.headers.get("origin")
    if origin and not same_origin(origin, socket.headers.get("host")):
        await socket.close(code=CLOSE_POLICY, reason="cross-origin")  # before accept: 403
        return
    # SPEC R40: the person is the signed person cookie, whatever the name; a socket
    # without one (no page seen first) is a person for as long as it lasts. Without a
    # name, they are the same "Guest xxxx" on every connection.
    key = person_key(secret, current_person(socket, secret) or new_person())
    name = verify(secret, socket.cookies.get(COOKIE)) or guest_name(key)
    # The projector (server/projector.py) gets a viewer's markup whatever the browser's
    # role; its access (ops, a rotated link) is still judged by the real role.
    projector = socket.query_params.get("view") == "projector"
    if projector:
        name = "Projector"
    try:  # cookie grants, the link token of the URL, or a bearer header
        person = await access.identify(socket)
        role = person.role(forum_id)
    except Denied:
        person, role = None, None
    await socket.accept()
    forget_handshake(cast(LiveSocket, socket).raw_send)  # uvicorn reads it no more
    known = await access.tokens(forum_id) is not None
    try:
        room = await rooms.get(forum_id) if known and role is not None else None
    except ForumElsewhere:  # another process runs it and kept it: try again (R9b)
        await socket.close(code=CLOSE_TRY_LATER, reason="owner elsewhere")
        return
    if room is None:
        # No role: forbidden, whether the forum exists or not (ids cannot be probed);
        # only the admin, who would see any forum, learns that one does not exist.
        if role is None:
            reason = refusal(None, "move_card")
            await socket.send_text(encode(Error(code="forbidden", reason=reason)).decode())
            await socket.close(code=CLOSE_FORBIDDEN, reason="forbidden")
            return
        await socket.send_text(
            encode(Error(code="unknown_forum", reason="No such forum.")).decode()
        )
        await socket.close(code=CLOSE_UNKNOWN_FORUM, reason="unknown forum")
        return
    assert person is not None and role is not None
    token = person.bearer  # a token's connection, not a person's (R42, R75)
    if token and not projector:
        name = api_label(role, admin=person.admin)
        key = api_key(name)
    # R74: the person's pick from other forums, for a forum where they may pick teams
    may_pick = not projector and not token and can(role, "set_my_teams")
    carried = carried_teams(socket, secret) if may_pick else ()
    if len(room.peers) >= settings.max_connections_per_forum:
        await socket.send_text(
            encode(Error(code="full", reason="This forum has too many connections.")).decode()
        )
        await socket.close(code=CLOSE_TRY_LATER, reason="forum full")
        return

    # Everything the handshake reads of the headers is read (the cookies Litestar
    # parsed stay cached): the connection keeps none of them for its life.
    socket.scope["headers"] = []

    task = asyncio.current_task()
    assert task is not None
    peer = Peer(
        secrets.token_hex(6),
        name,
        hue(name),
        cast(AsgiSend, cast(LiveSocket, socket).raw_send),
        max_backlog=settings.max_backlog_frames,
        max_backlog_bytes=settings.max_backlog_bytes,
        on_drop=lambda _: _cancel(task),
        role="viewer" if projector else role,
        # a screen on the wall, or a token, is not a session participant (R75)
        takes_part=not projector and not token,
        person="" if projector else key,  # a projector sees what nobody in particular may
    )
    revoked = False
    closing: list[asyncio.Task[None]] = []

    def revoke() -> None:
        """The token this connection came in with was rotated: refuse and close."""
        nonlocal revoked
        if revoked:
            return
        revoked = True
        reason = (
            "The admin link was replaced: open the new one."
            if person.admin
            else "Your link to this forum was replaced: ask its facilitator for the new one."
        )
        peer.deliver(_error("forbidden", reason))
        closing.append(asyncio.ensure_future(peer.end(CLOSE_FORBIDDEN, "access revoked")))

    # The admin facilitates every forum whatever its tokens (a new admin token revokes);
    # anyone else came in with a forum token (a link, a grant made from one, a bearer)
    # that a rotation revokes.
    kind = person.link(forum_id) or role  # the room link's people: its rotation (R46)
    watch: Watch | None = access.watch(forum_id, kind, revoke, admin=person.admin)

    async def post(message: RoomMessage) -> Room | None:
        nonlocal room
        for _ in range(3):
            if room is None:
                return None
            try:
                room.post(message)
                return room
            except RoomClosed:
                try:
                    room = await rooms.get(forum_id)
                except ForumElsewhere:
                    return None
        return None

    bucket = TokenBucket(settings.ops_per_second, settings.ops_burst)
    said_hello = False
    receive = cast(LiveSocket, socket).raw_receive
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                socket.connection_state = "disconnect"  # what Litestar's wrapper would note
                break
            data: str | bytes = message.get("text") or message.get("bytes") or b""
            if too_large(data, settings.max_message_bytes):  # SPEC R1
                limit = settings.max_message_bytes
                peer.deliver(_error("too_large", f"A message may be at most {limit} bytes."))
                await peer.end(CLOSE_TOO_BIG, "message too big")
                break
            try:
                msg = decode_client(data)
            except BadMessage as e:
                peer.deliver(_error("bad_message", str(e)))
                continue
            except Exception:  # a frame the decoder did not expect: still the sender's error
                log.exception("could not read a frame on forum %s", forum_id)
                peer.deliver(_error("bad_message", "This message could not be read."))
                continue
            if type(msg) is Send:
                if not said_hello:
                    peer.deliver(_error("hello_first", "Send hello before any operation."))
                elif revoked or not can(role, msg.op):  # the op's type decides
                    why = refusal(None if revoked else role, msg.op)
                    reject = Reject(id=msg.id, code="forbidden", reason=why)
                    peer.deliver(text_message(encode(reject)))
                elif not bucket.take():
                    reject = Reject(
                        id=msg.id, code="rate_limited", reason="Too many operations; slow down."
                    )
                    peer.deliver(text_message(encode(reject)))
                elif await post(OpIn(msg.op, msg.id, name, peer, by=peer.person)) is None:
                    break
            elif type(msg) is Hold:  # SPEC R29: participants only, rate-limited like ops
                if not said_hello:
                    peer.deliver(_error("hello_first", "Send hello before anything else."))
                elif revoked or peer.role == "viewer":
                    peer.deliver(_error("forbidden", "You are viewing this forum read-only."))
                elif not bucket.take():
                    peer.deliver(SLOW_DOWN)
                elif await post(HoldIn(peer, msg.card)) is None:
                    break
            elif type(msg) is Hello:
                if revoked:
                    break
                if said_hello and not bucket.take():  # R14: every hello after the first counts
                    peer.deliver(SLOW_DOWN)
                    continue
                said_hello = True
                if await post(Join(peer, msg, carried)) is None:
                    break
            else:  # ping, counted like an op (R14)
                peer.deliver(PONG if bucket.take() else SLOW_DOWN)
    except asyncio.CancelledError:
        if not peer.dropped:
            raise
        task.uncancel()  # we cancelled ourselves: the client was too slow (SPEC R15)
    except WebSocketDisconnect:
        pass
    except Exception:  # a bug: logged with its traceback, the client told to reconnect
        log.exception("live connection to forum %s failed", forum_id)
        with contextlib.suppress(Exception):
            await peer.end(CLOSE_INTERNAL, "internal error")
    finally:
        if watch is not None:
            access.unwatch(watch)
        peer.close()
        if said_hello and room is not None:
            with contextlib.suppress(RoomClosed):
                room.post(Leave(peer))
