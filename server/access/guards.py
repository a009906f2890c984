"""The checks routes declare (``forum_guard("viewer")`` …) and the CSRF check of forms.

Guards run before dependency injection, so they reach the ``Access`` service and
storage through ``server.web.deps``. Refusals raise ``Denied``.

Whoever has no role on a forum gets one answer for it, whether it exists or not
(``no_access``: 401 to an API caller without credentials, else 403 "No access or not
found"), so ids cannot be probed. An unknown forum passes only the admin's guard, and
the route answers 404; an unknown session passes the admin's and that of whoever sees
the forum its id names (``<forum>-<n>``): they could see it if it existed.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from board.access import Role, at_least
from server.access import csrf
from server.access.refusals import NO_ACCESS, NO_ACCESS_TITLE, NO_LINK, Denied, need
from server.access.service import Who
from server.web.deps import services_of

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

Connection = ASGIConnection[Any, Any, Any, Any]


async def who(connection: Connection) -> Who:
    """Who the connection is (worked out once per connection)."""
    return await services_of(connection.app).access.identify(connection)


def check_csrf(connection: Connection, submitted: object) -> None:
    """``Denied`` (403 ``csrf``) unless ``submitted`` matches the CSRF cookie."""
    csrf.check(connection, submitted, services_of(connection.app).secret)


def _check_api_csrf(connection: Connection, person: Who) -> None:
    """A cookie-authenticated change through the API must carry the CSRF header."""
    method = connection.scope.get("method", "GET")
    if method in SAFE_METHODS or person.bearer:
        return
    if not connection.url.path.startswith("/api/"):
        return  # forms check their field in the handler
    check_csrf(connection, connection.headers.get(csrf.HEADER))


async def check_form(request: Connection, form: Any) -> None:
    """The CSRF check of an HTML form (none for a request with a valid bearer token)."""
    person = await who(request)
    if person.bearer:
        return
    check_csrf(request, form.get(csrf.FIELD) if hasattr(form, "get") else None)


async def require(connection: Connection, forum_id: str, floor: Role) -> Who:
    """``Denied`` unless the connection has at least ``floor`` on ``forum_id``. No role
    there at all: ``no_access``, the same for an unknown forum; the admin passes for
    an unknown forum too, and the route answers 404."""
    person = await who(connection)
    role = person.role(forum_id)
    if role is None:
        raise no_access(connection, person)
    if not at_least(role, floor):
        raise Denied(403, "forbidden", need(floor))
    _check_api_csrf(connection, person)
    return person


def no_access(connection: Connection, person: Who) -> Denied:
    """The one refusal for a forum (or a session of one) the person has no role on, or
    that does not exist: 401 to an API caller without any credentials (it should send a
    bearer token), 403 otherwise."""
    if person.anonymous and connection.url.path.startswith("/api/"):
        reason = NO_ACCESS + " API clients send its token as a bearer."
        return Denied(401, "unauthorized", reason, NO_ACCESS_TITLE)
    return Denied(403, "forbidden", NO_ACCESS, NO_ACCESS_TITLE)


def named_forum(session_id: str) -> str | None:
    """The forum a session id names: ``<forum>-<n>`` (``board/sessions.py`` makes them
    so, and an import renames them so); ``None`` for any other id."""
    forum_id, dash, number = session_id.rpartition("-")
    ok = dash and forum_id and number.isascii() and number.isdigit()
    return forum_id if ok else None


def forum_guard(floor: Role) -> Guard:
    """A route under ``/forums/{forum_id}``: needs ``floor`` on that forum."""

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        await require(connection, str(connection.path_params["forum_id"]), floor)

    return guard


def session_guard(floor: Role) -> Guard:
    """A route under ``/sessions/{session_id}``: needs ``floor`` on the session's forum
    (an unknown session: see the module's docstring)."""

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        sessions = services_of(connection.app).storage.sessions
        session_id = str(connection.path_params["session_id"])
        forum_id = await sessions.forum_of(session_id)
        if forum_id is None:
            person = await who(connection)  # a wrong bearer is refused (401) first
            named = named_forum(session_id)
            if person.admin or (named is not None and person.sees(named)):
                return  # the route answers 404: they would see it if it existed
            raise no_access(connection, person)
        await require(connection, forum_id, floor)

    return guard


async def admin_guard(connection: Connection, _: BaseRouteHandler) -> None:
    """Only the instance's admin."""
    person = await who(connection)
    if not person.admin:
        if person.anonymous and connection.url.path.startswith("/api/"):
            raise Denied(401, "unauthorized", "This needs the admin token.")
        raise Denied(403, "forbidden", "Only the admin of this Scaleboard may do this.")
    _check_api_csrf(connection, person)


async def member_guard(connection: Connection, _: BaseRouteHandler) -> None:
    """Anyone with a link to some forum (or the admin)."""
    person = await who(connection)
    if person.anonymous:
        status = 401 if connection.url.path.startswith("/api/") else 403
        raise Denied(status, "unauthorized" if status == 401 else "forbidden", NO_LINK)
    _check_api_csrf(connection, person)
