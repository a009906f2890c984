"""Who someone is for a forum: the ``Access`` service and the ``Who`` it works out.

Each forum has one live token per role, and one for its room link (``AccessRecords``;
``board.access.LINK_KINDS``); its links carry them (``/forums/{id}?token=…``). Opening a
link puts a *grant* in a signed cookie (``sb_access``, ``passes.py``): the forum, the
link's kind and a fingerprint of the token. A grant counts only while its fingerprint
matches the forum's current token of that kind, so rotating a token revokes every
grant made from it, at once. A room grant gives a participant's role; whether one may
be made is the board's to say (``server/forums/room.py``, SPEC R46), and the room token
is no bearer. The instance's admin has a token of its own (only an HMAC of it is
stored, ``admin_token.py``); the cookie's admin mark comes with that record, so a new
admin token ends every admin mark, and the admin's open websockets are closed within a
second (``follow_admin``). Several processes on one database hear of each other's
rotations and admin tokens through the store's signals (``server/storage/signals.py``)
and drop what they cached, so a rotated link stops working, and its sockets close, on
every process (docs/scale-out.md). API clients send ``Authorization: Bearer <token>``
(a forum token or the admin token) instead of cookies. The admin counts as a
facilitator of every forum.

Routes declare what they need with the guards of ``guards.py``; ``board.access``
decides which role an operation needs. Refusals raise ``refusals.Denied``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any, Final, cast

from litestar.connection import ASGIConnection

from board.access import LINK_KINDS, ROOM, LinkKind, Role, best, is_link_kind, link_role
from server.access import admin_token
from server.access.passes import COOKIE, Pass, read_pass
from server.access.refusals import BAD_TOKEN, Denied
from server.access.signing import fingerprint, new_token
from server.access.who import Watch as Watch
from server.access.who import Who as Who
from server.storage.access import AccessRecords, ForumToken
from server.storage.signals import ACCESS, ADMIN, LocalSignals, Signals

log = logging.getLogger("scaleboard.access")

WHO: Final = "scaleboard.who"  # scope key: the request's ``Who``, worked out once
LINK_TOKEN: Final = "scaleboard.link_token"  # scope key: the ``?token=`` taken out of the URL
MIN_ADMIN_TOKEN: Final = 16  # characters a configured admin token must have at least
ADMIN_POLL: Final = 0.25  # seconds between looks at the stored admin token (admin-link)
ADMIN_POLL_IDLE: Final = 1.0  # the same with no admin socket open: nothing to close yet


class Access:
    """The forum tokens (cached from storage), the admin token's hash, and the live
    connections a rotation must cut off."""

    def __init__(self, records: AccessRecords, secret: str, signals: Signals | None = None) -> None:
        self.records = records
        self.secret = secret
        self.signals: Signals = signals if signals is not None else LocalSignals()
        self.signals.listen(ACCESS, self._heard_rotation)
        self.signals.listen(ADMIN, lambda _: self._soon(self.check_admin()))
        self.signals.on_gap(lambda: self._soon(self.refresh_all()))
        self._pending: set[asyncio.Task[None]] = set()
        self._tokens: dict[str, dict[LinkKind, str]] = {}
        self._owner: dict[str, tuple[str, LinkKind]] = {}
        self._live: dict[str, set[Watch]] = {}
        self._admins: set[Watch] = set()
        self._admin_mark: str | None = None  # the mark the open admin sockets came with

    # -- tokens ---------------------------------------------------------------------

    async def start(self, configured_admin: str | None) -> str | None:
        """Give every forum its tokens (older databases have none), load them, and set
        up the admin. Returns the admin token when one was just made (print it once)."""
        now = time.time()
        missing = await self.records.missing_roles(LINK_KINDS)
        await self.records.add_tokens([ForumToken(f, r, new_token(), now) for f, r in missing])
        for t in await self.records.all_tokens():
            self._install(t.forum_id, {t.role: t.token})
        stored = await self.admin_hash()
        made: str | None = None
        if configured_admin:
            # The same token as before keeps its mark (its admin cookies keep working).
            keep = None
            if stored is not None and admin_token.matches(self.secret, stored, configured_admin):
                keep = admin_token.mark(stored)
            record = admin_token.record(self.secret, configured_admin, keep)
            await self.records.set_admin_hash(record)
        elif stored is None:
            made = new_token()
            await self.records.set_admin_hash(admin_token.record(self.secret, made))
        self._admin_mark = await self.admin_mark()
        return made

    def _install(self, forum_id: str, tokens: dict[str, str]) -> None:
        held = self._tokens.setdefault(forum_id, {})
        for name, token in tokens.items():
            if name not in held and is_link_kind(name):
                kind = cast(LinkKind, name)
                held[kind] = token
                self._owner[token] = (forum_id, kind)

    async def tokens(self, forum_id: str) -> dict[LinkKind, str] | None:
        """The forum's current token per link kind (each role's, the room's); ``None``
        for an unknown forum."""
        found = self._tokens.get(forum_id)
        if found is not None and len(found) == len(LINK_KINDS):
            return found
        rows = await self.records.tokens_of(forum_id)
        if not rows:
            return None
        # Installed only where missing: a rotation that finished meanwhile stays.
        self._install(forum_id, {t.role: t.token for t in rows})
        return self._tokens[forum_id]

    async def find(self, token: str) -> tuple[str, LinkKind] | None:
        """The forum and link kind of a token, if it is current."""
        if not token or len(token) > 256:
            return None
        found = self._owner.get(token)
        if found is not None:
            return found
        forum_id = await self.records.forum_of_token(token)
        if forum_id is None:
            return None
        await self.tokens(forum_id)
        return self._owner.get(token)

    async def mark(self, forum_id: str, kind: LinkKind) -> str | None:
        tokens = await self.tokens(forum_id)
        token = tokens.get(kind) if tokens else None
        return fingerprint(token) if token else None

    async def rotate(self, forum_id: str, kind: LinkKind) -> str | None:
        """Replace the token of a link kind; the old link, its grants and the live
        connections that came in with it stop working now. ``None``: unknown forum."""
        tokens = await self.tokens(forum_id)
        if tokens is None:
            return None
        token = new_token()
        await self.records.replace_token(forum_id, kind, token, time.time())
        old = tokens.get(kind)
        if old is not None:
            self._owner.pop(old, None)
        tokens[kind] = token
        self._owner[token] = (forum_id, kind)
        self._revoke(forum_id, kind)
        log.info("rotated the %s link of %s", kind, forum_id)
        await self.signals.publish(ACCESS, forum_id)  # every other process drops the old one
        return token

    def _revoke(self, forum_id: str, kind: LinkKind) -> None:
        for watch in list(self._live.get(forum_id, ())):
            if watch.kind == kind:
                watch.revoke()

    # -- what other processes changed ---------------------------------------------------

    def _soon(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _heard_rotation(self, forum_id: str) -> None:
        if forum_id in self._tokens:  # nothing cached, nothing to drop
            self._soon(self.refresh(forum_id))

    async def refresh(self, forum_id: str) -> None:
        """Bring the cached tokens of ``forum_id`` in line with the stored ones: a token
        rotated elsewhere stops opening anything here, and the connections that came in
        with it are closed."""
        try:
            rows = await self.records.tokens_of(forum_id)
        except Exception:
            log.warning("could not re-read the links of %s", forum_id, exc_info=True)
            return
        held = self._tokens.get(forum_id)
        if held is None:
            return
        for row in rows:
            if not is_link_kind(row.role):
                continue
            role = cast(LinkKind, row.role)
            old = held.get(role)
            if old == row.token:
                continue
            if old is not None:
                self._owner.pop(old, None)
            held[role] = row.token
            self._owner[row.token] = (forum_id, role)
            if old is not None:
                self._revoke(forum_id, role)
                log.info("the %s link of %s was rotated elsewhere", role, forum_id)

    async def refresh_all(self) -> None:
        """After signals may have been missed: check every cached forum's tokens and the
        admin token against the store."""
        for forum_id in list(self._tokens):
            await self.refresh(forum_id)
        await self.check_admin()

    # -- the admin ------------------------------------------------------------------

    async def admin_hash(self) -> str | None:
        # Read each time: ``scaleboard admin-link`` may replace it while we run.
        return await self.records.admin_hash()

    async def is_admin_token(self, token: str) -> bool:
        stored = await self.admin_hash()
        if stored is None or not admin_token.matches(self.secret, stored, token):
            return False
        if admin_token.is_legacy(stored):  # a bare sha256 of an older version: upgrade it
            mark = admin_token.mark(stored)
            await self.records.set_admin_hash(admin_token.record(self.secret, token, mark))
            log.info("the stored admin token is now an HMAC under the instance's secret")
        return True

    async def admin_mark(self) -> str | None:
        stored = await self.admin_hash()
        return admin_token.mark(stored) if stored else None

    async def follow_admin(self, every: float = ADMIN_POLL) -> None:
        """Run until cancelled: when the admin token is replaced (``scaleboard
        admin-link``, even from another process), close the admin's open websockets.
        With signals between processes (PostgreSQL) the change is heard (``ADMIN``);
        otherwise the stored token is looked at ``every`` seconds."""
        if self.signals.shared:
            return
        while True:
            # Each look is a database read: a process with no admin socket open (the
            # usual case) looks less often, only to keep the mark current.
            await asyncio.sleep(every if self._admins else max(every, ADMIN_POLL_IDLE))
            await self.check_admin()

    async def check_admin(self) -> None:
        """If the stored admin token is not the one the open admin sockets came with,
        close them."""
        try:
            mark = await self.admin_mark()
        except Exception:  # a busy or closing database: look again next time
            log.debug("could not read the admin token", exc_info=True)
            return
        if mark != self._admin_mark:
            self._admin_mark = mark
            for watch in list(self._admins):
                watch.revoke()
            if self._admins:
                log.info("the admin token was replaced: closed the admin's websockets")

    # -- who ------------------------------------------------------------------------

    async def identify(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Who:
        """Who a request or websocket is (worked out once per request).

        An ``Authorization`` header decides alone (a wrong one is refused, 401);
        otherwise the access cookie's grants that still match the current tokens, and
        on a websocket the link token of its URL too."""
        scope: Any = connection.scope
        cached = scope.get(WHO)
        if isinstance(cached, Who):
            return cached
        header = connection.headers.get("authorization")
        if header is not None:
            who = await self._bearer(header)
        else:
            who = await self._cookie(connection.cookies.get(COOKIE))
            link = scope.get(LINK_TOKEN)
            if scope["type"] == "websocket" and isinstance(link, str):
                who = await self._with_token(who, link)
        if scope["type"] != "websocket":  # a websocket's endpoint asks once
            # (A key more would grow the scope dict a size step, ~0.8 KB, for as long
            # as the connection lasts: memory per idle connection, performance.md.)
            scope[WHO] = who
        return who

    async def _bearer(self, header: str) -> Who:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Denied(401, "unauthorized", "Send the token as `Authorization: Bearer <token>`.")
        who = await self._with_token(Who(bearer=True), token)
        if who.anonymous:
            raise Denied(401, "unauthorized", BAD_TOKEN)
        return who

    async def _with_token(self, who: Who, token: str) -> Who:
        if await self.is_admin_token(token):
            return Who(admin=True, roles=who.roles, bearer=who.bearer, held=who.held)
        found = await self.find(token)
        if found is None:
            return who
        forum_id, kind = found
        if kind == ROOM:  # a link for people in the room, not a credential (SPEC R46)
            return who
        roles, via, role = dict(who.roles), dict(who.via), link_role(kind)
        if best(roles.get(forum_id), role) == role:
            roles[forum_id] = role
            via.pop(forum_id, None)
        return Who(admin=who.admin, roles=roles, bearer=who.bearer, held=who.held, via=via)

    async def _cookie(self, value: str | None) -> Who:
        held = read_pass(self.secret, value)
        admin = False
        if held.a:
            mark = await self.admin_mark()
            admin = mark is not None and hmac.compare_digest(held.a, mark)
        roles: dict[str, Role] = {}
        via: dict[str, LinkKind] = {}
        for forum_id, kind, mark in held.g:
            current = await self.mark(forum_id, kind)
            if current is None or not hmac.compare_digest(mark, current):
                continue
            role, had = link_role(kind), roles.get(forum_id)
            if had is None or best(had, role) != had or (had == role and kind != ROOM):
                roles[forum_id] = role  # the higher role; of equals, the role's own link
                via.pop(forum_id, None)
                if kind != role:
                    via[forum_id] = kind
        return Who(admin=admin, roles=roles, held=held, via=via)

    async def grant(self, held: Pass, token: str) -> Pass | None:
        """``held`` with what ``token`` opens added (``None``: it opens nothing)."""
        if await self.is_admin_token(token):
            mark = await self.admin_mark()
            assert mark is not None
            return Pass(a=mark, g=held.g)
        found = await self.find(token)
        if found is None:
            return None
        forum_id, kind = found
        return held.with_grant(forum_id, kind, fingerprint(token))

    # -- live connections -----------------------------------------------------------

    def watch(
        self, forum_id: str, kind: LinkKind, revoke: Callable[[], None], *, admin: bool = False
    ) -> Watch:
        """Call ``revoke`` when the ``kind`` token of ``forum_id`` is rotated, or, for a
        connection that came in as the ``admin``, when the admin token is replaced."""
        w = Watch(forum_id, kind, revoke, admin=admin)
        if admin:
            self._admins.add(w)
        else:
            self._live.setdefault(forum_id, set()).add(w)
        return w

    def unwatch(self, w: Watch) -> None:
        if w.admin:
            self._admins.discard(w)
            return
        found = self._live.get(w.forum_id)
        if found is not None:
            found.discard(w)
            if not found:
                del self._live[w.forum_id]
