"""Tokens and signed values: unguessable tokens, their fingerprints, and values sealed
with the instance's secret for one purpose (the access cookie, CSRF tokens)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_token() -> str:
    """An unguessable token (192 random bits), safe in a URL."""
    return secrets.token_urlsafe(24)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(token: str) -> str:
    """What a cookie keeps of a token: enough to notice it changed, nothing to use."""
    return sha256("scaleboard-fingerprint\0" + token)[:16]


def mac(secret: str, purpose: str, payload: str, size: int = 18) -> str:
    """The instance's HMAC-SHA256 of ``payload`` for one ``purpose``, its first ``size``
    bytes url-safe (18: 24 characters; a feed token takes 24: 32 characters)."""
    message = f"{purpose}\0{payload}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:size]).decode()


def seal(secret: str, purpose: str, data: bytes) -> str:
    """``data`` signed for one ``purpose`` (a value signed for another never passes)."""
    payload = base64.urlsafe_b64encode(data).decode().rstrip("=")
    return f"{payload}.{mac(secret, purpose, payload)}"


def unseal(secret: str, purpose: str, value: str | None, limit: int = 4096) -> bytes | None:
    """The data of a sealed value, or ``None`` when it is missing, malformed or forged
    (a value sealed by another instance has another secret)."""
    if not value or "." not in value or len(value) > limit:
        return None
    payload, sent = value.rsplit(".", 1)
    if not hmac.compare_digest(sent, mac(secret, purpose, payload)):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError:
        return None
