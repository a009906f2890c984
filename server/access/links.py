"""The gate every request passes: role links and the CSRF token of pages.

A role link is any page's address with ``?token=…`` (``/forums/{id}?token=…``, the
admin's ``/admin/enter?token=…``). The token is taken out of the URL before anything
else sees it, for every request whatever route it goes to (``server/web/edge.py``, around
the whole app): uvicorn's access log and Litestar read the request without it, so a
token is never logged, and pages never show it. A page request that carried one gets
the grant added to its access cookie and is sent on to the same address without the
token (303), so the token does not stay in the address bar or the history either; a
token that opens nothing gets an error page saying so. A websocket keeps its token
for the handshake (browsers cannot set headers on websockets): see ``server/live/endpoint.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final
from urllib.parse import unquote_plus

from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from board.access import ROOM
from server.access import csrf
from server.access.identity import (
    PERSON_COOKIE,
    PERSON_SCOPE,
    new_person,
    person_cookie,
    safe_next,
    verify_person,
)
from server.access.passes import COOKIE, over_tls, pass_cookie, read_pass
from server.access.service import LINK_TOKEN
from server.web.deps import services_of
from server.web.errors import error_body

PARAM: Final = "token"


def take_token(scope: Any) -> str | None:
    """Remove ``token`` from the scope's query string (in place); return its value."""
    raw: bytes = scope.get("query_string", b"")
    if b"token" not in raw and b"%" not in raw:  # ``%74oken`` is ``token`` too
        return None
    found: str | None = None
    kept: list[bytes] = []
    for part in raw.split(b"&"):
        key, _, value = part.partition(b"=")
        if unquote_plus(key.decode("latin-1")) == PARAM:
            found = unquote_plus(value.decode("latin-1"))
        elif part:
            kept.append(part)
    if found is None:
        return None
    scope["query_string"] = b"&".join(kept)
    return found


def link_token(scope: Any) -> str | None:
    """The request's link token, taken out of its URL the first time this is asked (by
    ``server.web.edge``, before Litestar routes the request) and kept in the scope."""
    if LINK_TOKEN not in scope:
        token = take_token(scope)
        if token is None:
            return None
        scope[LINK_TOKEN] = token
    found = scope[LINK_TOKEN]
    return found if isinstance(found, str) else None


def cookies(scope: Any) -> dict[str, str]:
    """The request's cookies (the last of a name wins, as Litestar reads them)."""
    out: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            for pair in value.decode("latin-1").split(";"):
                key, sep, val = pair.strip().partition("=")
                if sep:
                    out[key] = val
    return out


_secure = over_tls  # the one rule for every cookie's ``Secure`` (passes.py)


async def _send_page(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def follow_link(scope: Any, send: Send, token: str) -> None:
    """Add what ``token`` opens to the access cookie and go on without the token."""
    services = services_of(scope["app"])
    held = read_pass(services.secret, cookies(scope).get(COOKIE))
    granted = await services.access.grant(held, token)
    no_store = (b"cache-control", b"no-store")
    if granted is None:
        body = error_body(
            services.renderer,
            "This link does not work",
            "The link you opened is not valid: it may have been mistyped or replaced "
            "by a new one. Ask the forum's facilitator for the current link.",
            "/",
            "Go to the start page",
        )
        html = (b"content-type", b"text/html; charset=utf-8")
        await _send_page(send, 403, body.encode(), [html, no_store])
        return
    path = scope.get("raw_path") or scope["path"].encode()
    target = path.decode("latin-1")
    if scope["query_string"]:
        target += "?" + scope["query_string"].decode("latin-1")
    headers = [
        (b"location", safe_next(target).encode("latin-1")),
        pass_cookie(services.secret, granted, secure=_secure(scope)).to_encoded_header(),
        no_store,
        (b"content-length", b"0"),
    ]
    await _send_page(send, 303, b"", headers)


async def _for_the_room(scope: Any, token: str) -> bool:
    """Whether ``token`` is a forum's room link: it is not followed here but by its route
    (``/forums/{id}/join``, ``server/forums/room.py``), which alone knows whether the
    room may join now (SPEC R46); it stays in the scope for that route."""
    found = await services_of(scope["app"]).access.find(token)
    return found is not None and found[1] == ROOM


def gate(app: ASGIApp) -> ASGIApp:
    """Take link tokens out of URLs, follow page links, and hold the CSRF token."""

    # Not a coroutine: a websocket (or any other scope) gets the app's own awaitable
    # back, so no frame of this middleware stays alive for as long as the connection
    # lasts (memory per idle connection, docs/performance.md).
    def middleware(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        kind = scope["type"]
        if kind == "http":
            return http(scope, receive, send)
        if kind == "websocket":
            link_token(scope)  # taken by the edge already (``server.web.edge``)
        return app(scope, receive, send)

    async def http(scope: Scope, receive: Receive, send: Send) -> None:
        token = link_token(scope)  # taken by the edge already (``server.web.edge``)
        method = scope.get("method", "GET")
        if (
            token is not None
            and method in ("GET", "HEAD")
            and not scope["path"].startswith("/api/")
            and not await _for_the_room(scope, token)
        ):
            await follow_link(scope, send, token)
            return
        secret = services_of(scope["app"]).secret  # type: ignore[index]
        jar = cookies(scope)
        slot = csrf.slot_for(secret, jar.get(csrf.COOKIE))
        bearer = any(name == b"authorization" for name, _ in scope["headers"])
        if bearer:
            slot.new = False  # a bearer client needs no CSRF token: no cookie for it
        # SPEC R40: a browser's first request makes its person id (a bearer caller is
        # its token's link instead); the request itself already acts as that person.
        person: str | None = None
        if not bearer and verify_person(secret, jar.get(PERSON_COOKIE)) is None:
            person = new_person()
            scope[PERSON_SCOPE] = person  # type: ignore[literal-required]

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = []
                if slot.new and slot.used:
                    added.append(csrf.cookie(slot.value, secure=_secure(scope)))
                if person is not None:
                    added.append(person_cookie(secret, person, secure=_secure(scope)))
                if added:
                    encoded = [c.to_encoded_header() for c in added]
                    message["headers"] = [*message.get("headers", []), *encoded]
            await send(message)

        reset = csrf.current.set(slot)
        try:
            await app(scope, receive, send_with_cookie)
        finally:
            csrf.current.reset(reset)

    return middleware
