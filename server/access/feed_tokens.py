"""A feed's secret: its URL's token, and the only thing stored of it.

Calendar apps fetch a feed without cookies, so the URL itself is the credential:
``/feeds/<token>.ics``. The token is an HMAC of the feed's scope, subject and
generation under the instance secret (so it is the same on every process and after a
restart, and a new generation is a new token: rotation); the store keeps its SHA-256
only (``FeedRecord.token_hash``), and the edge takes it out of the URL before anything
logs the request (``take_feed_token``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from server.access.signing import mac, sha256

FEED_PATH: Final = re.compile(r"^/feeds/(.*?)(?:\.ics)?$", re.DOTALL)
SHOWN_PATH: Final = "/feeds/calendar.ics"  # the path routes and logs see instead
SCOPE_KEY: Final = "sb_feed_token"  # where the edge keeps the token in the ASGI scope


def feed_token(secret: str, scope: str, subject: str, generation: int) -> str:
    """The URL token of generation ``generation`` of a feed (32 url-safe characters)."""
    return mac(secret, "calendar-feed", f"{scope}\0{subject}\0{generation}", size=24)


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return sha256(token)


def take_feed_token(scope: Any) -> None:
    """For ``/feeds/<token>.ics`` (and anything else under ``/feeds/``: a URL pasted
    without its ``.ics`` holds the secret too): keep the token in the ASGI scope and put
    ``SHOWN_PATH`` in its place (``path`` and ``raw_path``), so uvicorn's access log,
    Litestar and every error page see the feed's route without its secret."""
    found = FEED_PATH.match(scope.get("path", ""))
    if found is None:
        return
    scope[SCOPE_KEY] = found.group(1)
    scope["path"] = SHOWN_PATH
    scope["raw_path"] = SHOWN_PATH.encode()


def token_of(scope: Any) -> str:
    """The feed token the edge took out of this request's path (``""``: none)."""
    found = scope.get(SCOPE_KEY, "")
    return found if isinstance(found, str) else ""
