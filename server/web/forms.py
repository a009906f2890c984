"""What HTML forms post (``FormData``) and the display name a request signs with."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body

from server.access.identity import COOKIE, current_key, verify

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
# A form with a repeated field (checkboxes of one name): a value or a list of them.
MultiForm = Annotated[dict[str, str | list[str]], Body(media_type=RequestEncodingType.URL_ENCODED)]


def single(form: dict[str, str | list[str]]) -> dict[str, str]:
    """``form`` with one value per field (the last of a repeated one)."""
    return {k: v if isinstance(v, str) else (v[-1] if v else "") for k, v in form.items()}


def many(form: dict[str, str | list[str]], field: str) -> list[str]:
    """Every value of ``field`` (none: empty)."""
    value = form.get(field, [])
    return [value] if isinstance(value, str) else list(value)


def current_name(request: Request[Any, Any, Any], secret: str) -> str | None:
    """The display name in the request's signed name cookie (``None``: none yet)."""
    return verify(secret, request.cookies.get(COOKIE))


def current_viewer(request: Request[Any, Any, Any], secret: str) -> str | None:
    """Whose hidden cards and dots a page shows (SPEC R40): the person's key."""
    return current_key(request, secret)
