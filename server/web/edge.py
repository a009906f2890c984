"""The edge: what happens to every HTTP request and websocket handshake before Litestar
routes it, and to every HTTP response on its way out, whichever route answers (or none).

Litestar runs its ``middleware`` only for a request that matched a route: its own 404
and 405 answers, and the errors raised while routing, pass them by. So the two things
that must hold for *every* request are done here, around the whole Litestar app:

- the link token (``?token=``, any spelling of its name that decodes to ``token``) is
  taken out of the URL before anything reads it (``server.access.links.link_token``),
  so neither uvicorn's access log nor a page ever sees it; so is a calendar feed's token
  out of its path (``/feeds/<token>.ics`` is routed and logged as ``/feeds/calendar.ics``,
  ``server.access.feed_tokens``);
- every HTTP response gets the security headers (a strict CSP and friends);
- with a process name (``scaleboard serve --process-name``, set by ``scaleboard
  cluster``), every HTTP response and websocket handshake says which process answered
  (``X-Scaleboard-Process``): how a cluster's routing is checked (docs/scale-out.md).

``server.app.asgi`` puts this right inside ``keep_server_send``, which stays outermost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Final

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.access.feed_tokens import take_feed_token
from server.access.links import link_token

# No inline script or style anywhere: card text can never run, whatever it holds.
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_NAMES: Final = frozenset(name for name, _ in SECURITY_HEADERS)


def secured(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with the security headers (replacing any of the same name)."""
    return [*((k, v) for k, v in headers if k.lower() not in _NAMES), *SECURITY_HEADERS]


PROCESS_HEADER: Final = b"x-scaleboard-process"


def edge(app: ASGIApp, process: str | None = None) -> ASGIApp:
    """Wrap the whole app: link tokens out of every URL, security headers on every
    HTTP response, and ``process`` (when given) named on every answer."""
    named: tuple[tuple[bytes, bytes], ...] = (
        ((PROCESS_HEADER, process.encode()),) if process else ()
    )

    # Not a coroutine: a websocket (or any other scope) gets the app's own awaitable
    # back, so the frame of this wrapper does not stay alive for as long as the
    # connection lasts (memory per idle connection, docs/performance.md).
    def outer(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            return app(scope, receive, send)
        link_token(scope)  # before anything else reads the query string
        take_feed_token(scope)  # and a calendar feed's token out of its path
        if kind == "websocket":
            if not named:
                return app(scope, receive, send)

            async def send_named(message: Message) -> None:
                if message["type"] == "websocket.accept":
                    message["headers"] = [*message.get("headers", ()), *named]
                await send(message)

            return app(scope, receive, send_named)
        return http(scope, receive, send)

    async def http(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*secured(message.get("headers", ())), *named]
            await send(message)

        await app(scope, receive, send_secured)

    return outer
