"""Who someone is for a forum, and the checks every route and the websocket make.

Each forum has one live token per role (``forum_tokens``); its links carry them
(``/forums/{id}?token=…``). Opening a link puts a *grant* in a signed cookie
(``sb_access``): the forum, the role and a fingerprint of the token. A grant counts
only while its fingerprint matches the forum's current token for that role, so
rotating a token revokes every grant made from it, at once. The instance's admin has
a token of its own (only its sha256 is stored, in ``meta``); the cookie's admin mark
is a fingerprint of that hash, so a new admin token ends every admin mark too. API
clients send ``Authorization: Bearer <token>`` (a forum token or the admin token)
instead of cookies. The admin counts as a facilitator of every forum.

Routes declare what they need with the guards at the end (``forum_guard("viewer")``
…); ``board.access`` decides which role an operation needs. Refusals raise
``Denied``: a JSON problem under ``/api``, an error page elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Final

import msgspec
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from board.access import ROLES, Role, at_least, best, is_role
from server.storage.sqlite.store import Row, Store

log = logging.getLogger("scaleboard.access")

COOKIE: Final = "sb_access"
ADMIN_META: Final = "admin_token_sha256"
WHO: Final = "scaleboard.who"  # scope key: the request's ``Who``, worked out once
LINK_TOKEN: Final = "scaleboard.link_token"  # scope key: the ``?token=`` taken out of the URL
MAX_GRANTS: Final = 40  # forums one browser holds links to (the cookie stays under 4 KB)
MIN_ADMIN_TOKEN: Final = 16  # characters a configured admin token must have at least
COOKIE_AGE: Final = 400 * 24 * 3600
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    """An unguessable token (192 random bits), safe in a URL."""
    return secrets.token_urlsafe(24)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(token: str) -> str:
    """What a cookie keeps of a token: enough to notice it changed, nothing to use."""
    return sha256("scaleboard-fingerprint\0" + token)[:16]


# -- signed values ------------------------------------------------------------------


def _mac(secret: str, purpose: str, payload: str) -> str:
    message = f"{purpose}\0{payload}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def seal(secret: str, purpose: str, data: bytes) -> str:
    """``data`` signed for one ``purpose`` (a value signed for another never passes)."""
    payload = base64.urlsafe_b64encode(data).decode().rstrip("=")
    return f"{payload}.{_mac(secret, purpose, payload)}"


def unseal(secret: str, purpose: str, value: str | None, limit: int = 4096) -> bytes | None:
    """The data of a sealed value, or ``None`` when it is missing, malformed or forged
    (a value sealed by another instance has another secret)."""
    if not value or "." not in value or len(value) > limit:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, purpose, payload)):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError:
        return None


class Pass(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What the access cookie holds: an admin mark and grants, oldest first."""

    a: str = ""  # fingerprint of the admin token's hash it was made with ("": none)
    g: list[tuple[str, Role, str]] = []  # (forum id, role, token fingerprint)

    def with_grant(self, forum_id: str, role: Role, mark: str) -> Pass:
        kept = [g for g in self.g if g[0] != forum_id or g[1] != role]
        return Pass(a=self.a, g=[*kept, (forum_id, role, mark)][-MAX_GRANTS:])


_pass_decoder = msgspec.json.Decoder(Pass)


def read_pass(secret: str, value: str | None) -> Pass:
    data = unseal(secret, "access", value)
    if data is None:
        return Pass()
    try:
        return _pass_decoder.decode(data)
    except msgspec.DecodeError:
        return Pass()


def pass_cookie(secret: str, p: Pass, *, secure: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=seal(secret, "access", msgspec.json.encode(p)),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


# -- refusals ------------------------------------------------------------------------


class Denied(Exception):
    """A request or connection that may not do what it asked (401: who are you? 403:
    not with this role; 404 is left to the routes)."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="scaleboard"'} if self.status == 401 else {}


NO_LINK = "You have no access to this forum: ask its facilitator for a link."
BAD_TOKEN = "This token is not valid (it may have been replaced): ask for a new link."


def _need(floor: Role) -> str:
    if floor == "viewer":
        return NO_LINK
    if floor == "participant":
        return "This needs a participant link to the forum: ask its facilitator for one."
    return "Only a facilitator of this forum may do this."


# -- who is asking -------------------------------------------------------------------


class Who:
    """The roles of one request or connection, worked out from its credentials."""

    __slots__ = ("admin", "bearer", "held", "roles")

    def __init__(
        self,
        *,
        admin: bool = False,
        roles: dict[str, Role] | None = None,
        bearer: bool = False,
        held: Pass | None = None,
    ) -> None:
        self.admin = admin
        self.roles = roles or {}
        self.bearer = bearer  # by an Authorization header: no cookie, so no CSRF risk
        self.held = held or Pass()  # the cookie as it came (to add a grant to)

    def role(self, forum_id: str) -> Role | None:
        """The role on ``forum_id``: the admin facilitates every forum."""
        return "facilitator" if self.admin else self.roles.get(forum_id)

    @property
    def anonymous(self) -> bool:
        return not self.admin and not self.roles

    def visible(self) -> frozenset[str] | None:
        """The forums this person may see (``None``: every forum, for the admin)."""
        return None if self.admin else frozenset(self.roles)

    def sees(self, forum_id: str) -> bool:
        return self.admin or forum_id in self.roles


class Watch:
    """A live connection that holds a role through a forum token (see ``Access.rotate``)."""

    __slots__ = ("forum_id", "revoke", "role")

    def __init__(self, forum_id: str, role: Role, revoke: Callable[[], None]) -> None:
        self.forum_id = forum_id
        self.role = role
        self.revoke = revoke


class Access:
    """The forum tokens (cached from the store), the admin token's hash, and the live
    connections a rotation must cut off."""

    def __init__(self, store: Store, secret: str) -> None:
        self.store = store
        self.secret = secret
        self._tokens: dict[str, dict[Role, str]] = {}
        self._owner: dict[str, tuple[str, Role]] = {}
        self._live: dict[str, set[Watch]] = {}

    # -- tokens ---------------------------------------------------------------------

    async def start(self, configured_admin: str | None) -> str | None:
        """Give every forum its tokens (older databases have none), load them, and set
        up the admin. Returns the admin token when one was just made (print it once)."""
        missing = await missing_token_rows(self.store)
        if missing:
            await self.store.write(missing)
        for forum_id, role, token in await self.store.fetch(
            "SELECT forum_id, role, token FROM forum_tokens"
        ):
            self._install(forum_id, {role: token})
        if configured_admin:
            await self.store.write([admin_row(configured_admin)])
            return None
        if await self.admin_hash() is None:
            token = new_token()
            await self.store.write([admin_row(token)])
            return token
        return None

    def _install(self, forum_id: str, tokens: dict[Role, str]) -> None:
        held = self._tokens.setdefault(forum_id, {})
        for role, token in tokens.items():
            if role not in held and is_role(role):
                held[role] = token
                self._owner[token] = (forum_id, role)

    async def tokens(self, forum_id: str) -> dict[Role, str] | None:
        """The forum's current token per role; ``None`` for an unknown forum."""
        found = self._tokens.get(forum_id)
        if found is not None and len(found) == len(ROLES):
            return found
        rows = await self.store.fetch(
            "SELECT role, token FROM forum_tokens WHERE forum_id=?", (forum_id,)
        )
        if not rows:
            return None
        # Installed only where missing: a rotation that finished meanwhile stays.
        self._install(forum_id, {r[0]: r[1] for r in rows})
        return self._tokens[forum_id]

    async def find(self, token: str) -> tuple[str, Role] | None:
        """The forum and role a token opens, if it is current."""
        if not token or len(token) > 256:
            return None
        found = self._owner.get(token)
        if found is not None:
            return found
        rows = await self.store.fetch("SELECT forum_id FROM forum_tokens WHERE token=?", (token,))
        if not rows:
            return None
        await self.tokens(rows[0][0])
        return self._owner.get(token)

    async def mark(self, forum_id: str, role: Role) -> str | None:
        tokens = await self.tokens(forum_id)
        token = tokens.get(role) if tokens else None
        return fingerprint(token) if token else None

    async def rotate(self, forum_id: str, role: Role) -> str | None:
        """Replace the role's token; the old link, its grants and the live connections
        that came in with it stop working now. ``None`` for an unknown forum."""
        tokens = await self.tokens(forum_id)
        if tokens is None:
            return None
        token = new_token()
        await self.store.write(
            [
                (
                    "UPDATE forum_tokens SET token=?, created_at=? WHERE forum_id=? AND role=?",
                    (token, time.time(), forum_id, role),
                )
            ]
        )
        old = tokens.get(role)
        if old is not None:
            self._owner.pop(old, None)
        tokens[role] = token
        self._owner[token] = (forum_id, role)
        for watch in list(self._live.get(forum_id, ())):
            if watch.role == role:
                watch.revoke()
        log.info("rotated the %s link of %s", role, forum_id)
        return token

    # -- the admin ------------------------------------------------------------------

    async def admin_hash(self) -> str | None:
        # Read each time: ``scaleboard admin-link`` may replace it while we run.
        return await self.store.meta(ADMIN_META)

    async def is_admin_token(self, token: str) -> bool:
        found = await self.admin_hash()
        return found is not None and hmac.compare_digest(found, sha256(token))

    async def admin_mark(self) -> str | None:
        found = await self.admin_hash()
        return fingerprint(found) if found else None

    # -- who ------------------------------------------------------------------------

    async def identify(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Who:
        """Who a request or websocket is (worked out once per connection).

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
        forum_id, role = found
        roles = dict(who.roles)
        roles[forum_id] = best(roles.get(forum_id), role) or role
        return Who(admin=who.admin, roles=roles, bearer=who.bearer, held=who.held)

    async def _cookie(self, value: str | None) -> Who:
        held = read_pass(self.secret, value)
        admin = False
        if held.a:
            mark = await self.admin_mark()
            admin = mark is not None and hmac.compare_digest(held.a, mark)
        roles: dict[str, Role] = {}
        for forum_id, role, mark in held.g:
            current = await self.mark(forum_id, role)
            if current is not None and hmac.compare_digest(mark, current):
                roles[forum_id] = best(roles.get(forum_id), role) or role
        return Who(admin=admin, roles=roles, held=held)

    async def grant(self, held: Pass, token: str) -> Pass | None:
        """``held`` with what ``token`` opens added (``None``: it opens nothing)."""
        if await self.is_admin_token(token):
            mark = await self.admin_mark()
            assert mark is not None
            return Pass(a=mark, g=held.g)
        found = await self.find(token)
        if found is None:
            return None
        forum_id, role = found
        return held.with_grant(forum_id, role, fingerprint(token))

    # -- live connections -----------------------------------------------------------

    def watch(self, forum_id: str, role: Role, revoke: Callable[[], None]) -> Watch:
        """Call ``revoke`` when the ``role`` token of ``forum_id`` is rotated."""
        w = Watch(forum_id, role, revoke)
        self._live.setdefault(forum_id, set()).add(w)
        return w

    def unwatch(self, w: Watch) -> None:
        found = self._live.get(w.forum_id)
        if found is not None:
            found.discard(w)
            if not found:
                del self._live[w.forum_id]


# -- rows ------------------------------------------------------------------------------


def admin_row(token: str) -> Row:
    return (
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)",
        (ADMIN_META, sha256(token)),
    )


async def missing_token_rows(store: Store) -> list[Row]:
    """Rows that give every forum a token for each role it has none for."""
    rows = await store.fetch(
        "SELECT forums.id, forum_tokens.role FROM forums "
        "LEFT JOIN forum_tokens ON forum_tokens.forum_id = forums.id"
    )
    have: dict[str, set[str]] = {}
    for forum_id, role in rows:
        have.setdefault(forum_id, set()).update([role] if role else [])
    now = time.time()
    out: list[Row] = []
    for forum_id, roles in have.items():
        for role in ROLES:
            if role not in roles:
                out.append(
                    (
                        "INSERT OR IGNORE INTO forum_tokens(forum_id, role, token, created_at) "
                        "VALUES (?,?,?,?)",
                        (forum_id, role, new_token(), now),
                    )
                )
    return out


# -- guards ----------------------------------------------------------------------------


def access_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Access:
    found: Access = connection.app.state.access
    return found


async def who(connection: ASGIConnection[Any, Any, Any, Any]) -> Who:
    return await access_of(connection).identify(connection)


def _check_api_csrf(connection: ASGIConnection[Any, Any, Any, Any], person: Who) -> None:
    """A cookie-authenticated change through the API must carry the CSRF header."""
    from server.access.csrf import HEADER, check  # local: csrf imports this module

    method = connection.scope.get("method", "GET")
    if method in SAFE_METHODS or person.bearer:
        return
    if not connection.url.path.startswith("/api/"):
        return  # forms check their field in the handler
    check(connection, connection.headers.get(HEADER))


async def require(
    connection: ASGIConnection[Any, Any, Any, Any], forum_id: str, floor: Role
) -> Who:
    """``Denied`` unless the connection has at least ``floor`` on ``forum_id``. An
    unknown forum passes: the route answers 404."""
    person = await who(connection)
    if await access_of(connection).tokens(forum_id) is None:
        return person
    if not at_least(person.role(forum_id), floor):
        raise refused(connection, person, floor)
    _check_api_csrf(connection, person)
    return person


def refused(connection: ASGIConnection[Any, Any, Any, Any], person: Who, floor: Role) -> Denied:
    """The refusal for someone without ``floor``: 401 to an API caller without any
    credentials (it should send a bearer token), 403 otherwise."""
    if person.anonymous and connection.url.path.startswith("/api/"):
        return Denied(401, "unauthorized", NO_LINK + " API clients send its token as a bearer.")
    return Denied(403, "forbidden", _need(floor))


def forum_guard(floor: Role) -> Guard:
    """A route under ``/forums/{forum_id}``: needs ``floor`` on that forum."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        await require(connection, str(connection.path_params["forum_id"]), floor)

    return guard


async def session_forum(store: Store, session_id: str) -> str | None:
    rows = await store.fetch("SELECT forum_id FROM sessions WHERE id=?", (session_id,))
    return str(rows[0][0]) if rows else None


def session_guard(floor: Role) -> Guard:
    """A route under ``/sessions/{session_id}``: needs ``floor`` on the session's forum
    (an unknown session passes: the route answers 404)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        store: Store = connection.app.state.store
        forum_id = await session_forum(store, str(connection.path_params["session_id"]))
        if forum_id is None:
            await who(connection)  # a wrong bearer is still refused
            return
        await require(connection, forum_id, floor)

    return guard


async def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only the instance's admin."""
    person = await who(connection)
    if not person.admin:
        if person.anonymous and connection.url.path.startswith("/api/"):
            raise Denied(401, "unauthorized", "This needs the admin token.")
        raise Denied(403, "forbidden", "Only the admin of this Scaleboard may do this.")
    _check_api_csrf(connection, person)


async def member_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Anyone with a link to some forum (or the admin)."""
    person = await who(connection)
    if person.anonymous:
        status = 401 if connection.url.path.startswith("/api/") else 403
        raise Denied(status, "unauthorized" if status == 401 else "forbidden", NO_LINK)
    _check_api_csrf(connection, person)
