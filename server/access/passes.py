"""The access cookie (``sb_access``): a signed ``Pass`` holding the admin mark and the
grants one browser got from the links it opened."""

from __future__ import annotations

from typing import Any, Final

import msgspec
from litestar.datastructures import Cookie

from board.access import LinkKind
from server.access.signing import seal, unseal

COOKIE: Final = "sb_access"
MAX_GRANTS: Final = 40  # forums one browser holds links to (the cookie stays under 4 KB)
COOKIE_AGE: Final = 400 * 24 * 3600


class Pass(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What the access cookie holds: an admin mark and grants, oldest first."""

    a: str = ""  # fingerprint of the admin token's hash it was made with ("": none)
    g: list[tuple[str, LinkKind, str]] = []  # (forum id, link kind, token fingerprint)

    def with_grant(self, forum_id: str, kind: LinkKind, mark: str) -> Pass:
        kept = [g for g in self.g if g[0] != forum_id or g[1] != kind]
        return Pass(a=self.a, g=[*kept, (forum_id, kind, mark)][-MAX_GRANTS:])


_pass_decoder = msgspec.json.Decoder(Pass)


def read_pass(secret: str, value: str | None) -> Pass:
    data = unseal(secret, "access", value)
    if data is None:
        return Pass()
    try:
        return _pass_decoder.decode(data)
    except msgspec.DecodeError:
        return Pass()


def over_tls(scope: Any) -> bool:
    """Whether a request came over TLS (``https``, ``wss``; behind a proxy, as uvicorn's
    proxy headers say): every cookie we set is then ``Secure`` (access, CSRF, name)."""
    return scope.get("scheme") in ("https", "wss")


def pass_cookie(secret: str, p: Pass, *, secure: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=seal(secret, "access", msgspec.json.encode(p)),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
