"""Display names kept in a signed cookie: who a person is, without accounts.

The cookie holds the name and an HMAC of it under the instance's secret, so a client
can change its name only through ``/name``, which validates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from litestar.datastructures import Cookie

from board.apply import clean_text
from board.model import MAX_NAME

COOKIE = "sb_name"
COOKIE_AGE = 400 * 24 * 3600


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign(secret: str, name: str) -> str:
    payload = base64.urlsafe_b64encode(name.encode()).decode()
    return f"{payload}.{_mac(secret, payload)}"


def name_cookie(secret: str, name: str, *, secure: bool) -> Cookie:
    """The signed name cookie; ``secure`` over TLS, like the access and CSRF cookies."""
    return Cookie(
        key=COOKIE,
        value=sign(secret, name),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def verify(secret: str, value: str | None) -> str | None:
    """The name in a cookie value, or ``None`` if it is missing, malformed or forged."""
    if not value or "." not in value or len(value) > 512:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        name = base64.urlsafe_b64decode(payload.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return name if valid_name(name) == name else None


def valid_name(raw: str) -> str | None:
    """The cleaned display name, or ``None`` when it is empty or too long."""
    name = clean_text(raw, single_line=True)
    if not name or len(name) > MAX_NAME:
        return None
    return name


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after a form (never another site).

    Control characters are refused too: URL parsers drop tabs and newlines, so
    ``/<tab>/evil.example`` would otherwise read as ``//evil.example``.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ch < " " or ch == "\x7f" for ch in target):
        return default
    return target
