"""The admin token as it is stored: never the token, an HMAC-SHA256 of it keyed by the
instance's secret, and the *mark* an admin cookie holds.

A stored record reads ``hmac-sha256$<hex digest>$<mark>``. Someone who reads the
database (a backup, a copy) learns nothing to try tokens against without the secret
too, and the admin token is 192 random bits besides. Databases written by versions
before this one hold a bare sha256 hex digest: it is accepted, and the first time its
token is presented the record is rewritten in this form with the same mark, so admin
cookies made before the upgrade keep working (``Access.is_admin_token``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from server.access.signing import fingerprint, sha256

SCHEME: Final = "hmac-sha256"


def _digest(secret: str, token: str) -> str:
    message = b"scaleboard-admin\0" + token.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def record(secret: str, token: str, mark: str | None = None) -> str:
    """What to store for ``token``; ``mark``: keep the mark of the record it replaces
    (default: a fingerprint of the digest, so a new token ends every admin cookie)."""
    digest = _digest(secret, token)
    return f"{SCHEME}${digest}${mark or fingerprint(digest)}"


def is_legacy(stored: str) -> bool:
    """A bare sha256 digest, as versions before the HMAC stored it."""
    return "$" not in stored


def matches(secret: str, stored: str, token: str) -> bool:
    """Whether ``token`` is the admin token ``stored`` was made from."""
    if is_legacy(stored):
        return hmac.compare_digest(stored, sha256(token))
    scheme, _, rest = stored.partition("$")
    digest = rest.partition("$")[0]
    return scheme == SCHEME and hmac.compare_digest(digest, _digest(secret, token))


def mark(stored: str) -> str:
    """The admin mark of the access cookie for this record (changes with the token)."""
    return fingerprint(stored) if is_legacy(stored) else stored.rsplit("$", 1)[1]
