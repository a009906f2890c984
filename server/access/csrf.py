"""CSRF protection: a signed double-submit token for every form a page renders.

A page that renders a form puts the token in a hidden field (``csrf_field()`` in the
templates) and, when the browser has none yet, sets it as the cookie ``sb_csrf``
(HttpOnly, SameSite=Lax, signed with the instance's secret). A form POST is taken
only when its field equals a valid cookie: another site can make a browser send the
cookie but cannot read it to fill in the field. Cookie-authenticated changes through
the JSON API send the same value in the ``X-CSRF-Token`` header (pages carry it in
``<meta name="csrf-token">``). Requests authenticated by an ``Authorization`` header
need none: no browser adds that header by itself.

The token of the request being handled lives in a context variable, set by
``server.access.links.gate`` for each HTTP request, so templates reach it without the
request; the cookie is added to the response only when a page actually used it.
"""

from __future__ import annotations

import hmac
import secrets
from contextvars import ContextVar
from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from markupsafe import Markup, escape

from server.access.refusals import Denied
from server.access.signing import seal, unseal

COOKIE: Final = "sb_csrf"
FIELD: Final = "csrf"
HEADER: Final = "x-csrf-token"
PURPOSE: Final = "csrf"
REFUSED: Final = (
    "This form could not be checked (it is old, or it came from another site), so nothing "
    "was changed. Reload the page and try again."
)


def new_value(secret: str) -> str:
    return seal(secret, PURPOSE, secrets.token_bytes(18))


def valid(secret: str, value: str | None) -> bool:
    return unseal(secret, PURPOSE, value, limit=128) is not None


class Slot:
    """The CSRF token of the request being handled."""

    __slots__ = ("new", "used", "value")

    def __init__(self, value: str, new: bool) -> None:
        self.value = value
        self.new = new  # not in the browser yet: the response sets the cookie
        self.used = False


current: ContextVar[Slot | None] = ContextVar("scaleboard_csrf", default=None)


def slot_for(secret: str, cookie: str | None) -> Slot:
    if cookie and valid(secret, cookie):
        return Slot(cookie, new=False)
    return Slot(new_value(secret), new=True)


def token() -> str:
    """The token for a form of the page being rendered ("" outside a request)."""
    slot = current.get()
    if slot is None:
        return ""
    slot.used = True
    return slot.value


def field() -> Markup:
    """The hidden input every form that POSTs carries (a Jinja global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token()))


def cookie(value: str, *, secure: bool = False) -> Cookie:
    return Cookie(key=COOKIE, value=value, httponly=True, samesite="lax", secure=secure, path="/")


def check(connection: ASGIConnection[Any, Any, Any, Any], submitted: object, secret: str) -> None:
    """``Denied`` (403 ``csrf``) unless ``submitted`` matches the request's CSRF cookie
    (signed with ``secret``). ``server.access.guards.check_form`` checks a form."""
    held = connection.cookies.get(COOKIE)
    if (
        not isinstance(submitted, str)
        or not held
        or not valid(secret, held)
        or not hmac.compare_digest(held.encode(), submitted.encode())
    ):
        raise Denied(403, "csrf", REFUSED)
