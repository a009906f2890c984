"""What HTML forms post (``FormData``) and the display name a request signs with."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

from server.access.identity import COOKIE, current_key, verify

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def current_name(request: Request[Any, Any, Any], secret: str) -> str | None:
    """The display name in the request's signed name cookie (``None``: none yet)."""
    return verify(secret, request.cookies.get(COOKIE))


def current_viewer(request: Request[Any, Any, Any], secret: str) -> str | None:
    """Whose hidden cards and dots a page shows (SPEC R40): the person's key."""
    return current_key(request, secret)
