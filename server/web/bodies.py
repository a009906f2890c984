"""The request class of the app: a JSON body too deeply nested to decode is the client's
mistake (400 with a reason), not the server's.

msgspec decodes nested JSON recursively; about a thousand levels (a 2 KB body) exceed
Python's recursion limit and raise ``RecursionError``, which Litestar does not expect
from a body and would answer with a 500.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request
from litestar.exceptions import ClientException

TOO_DEEP: Final = "The JSON body is nested too deeply to read."


class ScaleboardRequest(Request[Any, Any, Any]):
    """Litestar's request, with a JSON body that is nested too deeply refused (400)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ClientException(TOO_DEEP) from None
