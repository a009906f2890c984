"""The signature of a webhook request (SPEC R63), as Stripe signs: the header
``X-Scaleboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over ``"<t>.<body>"``
with the subscription's secret. ``verify`` is what a receiver runs (the test receiver
does; docs/integrations.md shows it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

HEADER: Final = "X-Scaleboard-Signature"
EVENT_HEADER: Final = "X-Scaleboard-Event-Id"  # the idempotency key (R62)
KIND_HEADER: Final = "X-Scaleboard-Event"
TOLERANCE: Final = 300  # seconds a receiver should accept a timestamp either side


def new_secret() -> str:
    """A subscription's secret: shown once, when it is made."""
    return "whsec_" + secrets.token_urlsafe(32)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` of ``now``."""
    parts: dict[str, list[str]] = {}
    for piece in header.split(","):
        name, _, value = piece.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
