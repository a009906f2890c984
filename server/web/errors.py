"""How refusals and errors look: ONE helper renders an error page, ONE shapes an API
error (``{"code", "reason"}``), and the exception handlers that use them.

Pages answer with ``error_page`` (``templates/error.html``: a title, a message and the
way back); the JSON API raises ``ApiProblem`` (or gets Litestar's own refusals) and
answers with ``api_error``. ``Denied`` (``server.access.refusals``) becomes either,
by path, and so do the app-wide answers: no route here (404), a method a route does
not take (405), and any error nobody expected (500, logged with its traceback).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec

from server.access.refusals import Denied
from server.web.deps import services_of
from server.web.render import Renderer

log = logging.getLogger("scaleboard")

STATUS: Final = {
    "not_found": 404,
    "invalid": 400,
    "conflict": 409,
    "no_session": 409,
    "limit": 409,
    "rate_limited": 429,
    "storage": 503,
}
"""The HTTP status of each refusal code of a room (``board.sync.Refused``)."""

HTTP_CODES: Final = {
    400: "invalid",
    404: "not_found",
    405: "not_allowed",
    409: "conflict",
    413: "too_large",
}


# -- pages -------------------------------------------------------------------------------


def html(body: str, status: int = 200, **kwargs: Any) -> Response[str]:
    return Response(body, status_code=status, media_type=MediaType.HTML, **kwargs)


def error_body(
    renderer: Renderer,
    title: str,
    message: str,
    back: str = "/",
    label: str = "Back to the forums",
) -> str:
    """The error page's HTML (for the few places that answer without a ``Response``)."""
    return renderer.page(
        "error.html", title=title, message=message, back_href=back, back_label=label
    )


def error_page(
    renderer: Renderer,
    status: int,
    title: str,
    message: str,
    back: str = "/",
    label: str = "Back to the forums",
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """An error page: what went wrong and the way back."""
    return html(error_body(renderer, title, message, back, label), status=status, headers=headers)


def not_found(
    renderer: Renderer, what: str, back: str = "/", label: str = "Back to the forums"
) -> Response[str]:
    return error_page(renderer, 404, "Not found", what, back, label)


# -- the JSON API -------------------------------------------------------------------------


class ApiError(msgspec.Struct):
    code: str
    reason: str


class ApiProblem(Exception):
    """An API refusal: answered as ``ApiError`` with ``status``."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def api_error(
    status: int, code: str, reason: str, headers: dict[str, str] | None = None
) -> Response[ApiError]:
    """The API's one error shape."""
    return Response(ApiError(code=code, reason=reason), status_code=status, headers=headers)


def problem_handler(_: Request[Any, Any, Any], exc: ApiProblem) -> Response[ApiError]:
    return api_error(exc.status, exc.code, exc.reason)


def http_problem_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ApiError]:
    """Litestar's own refusals (schema validation, malformed JSON, too large) in the
    API's ``{"code", "reason"}`` shape."""
    reason = exc.detail
    if isinstance(exc.extra, list):
        found = [
            f"{e['message']} (at `{e['key']}`)"
            if e.get("key") not in (None, "data")
            else e["message"]
            for e in exc.extra
            if isinstance(e, dict) and "message" in e
        ]
        reason = "; ".join(found) or reason
    return api_error(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), reason, exc.headers)


API_EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_problem_handler}

ERRORS: Final = {
    400: ResponseSpec(data_container=ApiError, description="Invalid input"),
    401: ResponseSpec(data_container=ApiError, description="No valid token"),
    403: ResponseSpec(data_container=ApiError, description="Not allowed with this role"),
    404: ResponseSpec(data_container=ApiError, description="No such forum or item"),
    409: ResponseSpec(data_container=ApiError, description="Conflicts with the board"),
}
"""The documented error responses of API routes (OpenAPI)."""


# -- refusals -----------------------------------------------------------------------------

_DENIED_TITLES: Final = {"csrf": "The form was not sent", "unauthorized": "No access"}


def _answer(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    title: str,
    reason: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The API's ``{code, reason}`` under ``/api``, an error page elsewhere (plain text
    if even the page cannot be made: the services are not up yet, or rendering fails)."""
    if request.url.path.startswith("/api/"):
        return api_error(status, code, reason, headers)
    try:
        renderer = services_of(request.app).renderer
        return error_page(renderer, status, title, reason, "/", "Go to the start page", headers)
    except Exception:
        log.exception("the error page could not be made")
        text = f"{title}: {reason}"
        return Response(text, status_code=status, media_type=MediaType.TEXT, headers=headers)


def denied_handler(request: Request[Any, Any, Any], exc: Denied) -> Response[Any]:
    """A refusal: the API's ``{code, reason}`` under ``/api``, an error page elsewhere."""
    headers = {"Cache-Control": "no-store", **exc.headers}
    title = exc.title or _DENIED_TITLES.get(exc.code, "No access")
    return _answer(request, exc.status, exc.code, title, exc.reason, headers)


# -- what no route answers, and what no one expected ------------------------------------

NOTHING_HERE: Final = "There is nothing at this address."
INTERNAL: Final = (
    "Something went wrong on the server. It has been logged; try again, and tell "
    "whoever runs this Scaleboard if it keeps happening."
)


def not_found_handler(request: Request[Any, Any, Any], _: NotFoundException) -> Response[Any]:
    """No route here (Litestar's own 404, a missing static file): the API's shape or the
    error page, never the server's file paths."""
    return _answer(request, 404, "not_found", "Not found", NOTHING_HERE)


def not_allowed_handler(
    request: Request[Any, Any, Any], exc: MethodNotAllowedException
) -> Response[Any]:
    """A route that does not take this method (405, with ``Allow``). The live websocket
    is ``GET`` with an upgrade only: a plain request gets an empty ``Allow``."""
    offered = (exc.headers or {}).get("allow", "")
    allow = ", ".join(m for m in offered.split(", ") if m.isupper())
    reason = f"{request.method} is not allowed here." + (f" Use {allow}." if allow else "")
    return _answer(request, 405, "not_allowed", "Not allowed", reason, {"Allow": allow})


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any error nothing else handled: logged with its traceback (logger ``scaleboard``,
    at ERROR), answered with a plain 500 that shows nothing of it."""
    log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, 500, "internal", "Something went wrong", INTERNAL)


def elsewhere_handler(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    """The forum is live on another server process that kept it (``ForumElsewhere``,
    docs/scale-out.md#one-writer-per-forum): 503, try again in a moment."""
    reason = "This forum is busy on another server; try again in a moment."
    headers = {"Retry-After": "1", "Cache-Control": "no-store"}
    return _answer(request, 503, "unavailable", "Try again", reason, headers)
