"""Display names kept in a signed cookie: who a person is, without accounts.

The cookie holds the name and an HMAC of it under the instance's secret, so a client
can change its name only through ``/name``, which validates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

from board.apply import clean_text
from board.model import MAX_NAME, MAX_TEAMS
from board.rules import MACHINE
from server.access.signing import seal, unseal

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


# -- the names a browser went by ("My next steps": next steps' owners are names) -------

NAMES_COOKIE = "sb_names"
_NAMES = "names"  # the signing purpose
MAX_NAMES_USED = 8


def names_cookie(secret: str, names: list[str], *, secure: bool) -> Cookie:
    """The signed list of the display names this browser took, newest first (at most
    ``MAX_NAMES_USED``), set by ``/name`` beside the name cookie."""
    data = json.dumps(names[:MAX_NAMES_USED]).encode()
    return Cookie(
        key=NAMES_COOKIE,
        value=seal(secret, _NAMES, data),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def names_used(connection: ASGIConnection[Any, Any, Any, Any], secret: str) -> list[str]:
    """The display names this browser went by, newest first: its names cookie, else its
    current name alone (none: empty); a forged or broken cookie counts for nothing."""
    current = verify(secret, connection.cookies.get(COOKIE))
    data = unseal(secret, _NAMES, connection.cookies.get(NAMES_COOKIE), limit=2048)
    found: list[str] = []
    if data is not None:
        try:
            raw = json.loads(data)
        except ValueError:
            raw = []
        if isinstance(raw, list):
            found = [n for n in raw if isinstance(n, str) and valid_name(n) == n]
    if current is not None and current not in found:
        found.insert(0, current)
    return found[:MAX_NAMES_USED]


# -- the teams a person's pick carries to other forums (SPEC R74) -----------------------

TEAMS_COOKIE = "sb_teams"
_TEAMS = "teams"  # the signing purpose


def teams_cookie(secret: str, teams: tuple[str, ...], *, secure: bool) -> Cookie:
    """The signed cookie of the person's last pick (team ids), which the room applies in
    a forum where they have picked none yet; an empty pick clears it."""
    value = seal(secret, _TEAMS, json.dumps(list(teams[:MAX_TEAMS])).encode())
    return Cookie(
        key=TEAMS_COOKIE,
        value=value if teams else "",
        max_age=COOKIE_AGE if teams else 0,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def carried_teams(connection: ASGIConnection[Any, Any, Any, Any], secret: str) -> tuple[str, ...]:
    """The team ids of the person's last pick (SPEC R74; none: empty); a forged or
    broken cookie counts for nothing."""
    data = unseal(secret, _TEAMS, connection.cookies.get(TEAMS_COOKIE), limit=1024)
    if data is None:
        return ()
    try:
        raw = json.loads(data)
    except ValueError:
        return ()
    if not isinstance(raw, list):
        return ()
    ids = (t for t in raw if isinstance(t, str) and 0 < len(t) <= 64)
    return tuple(dict.fromkeys(ids))[:MAX_TEAMS]


# -- the person (SPEC R40) --------------------------------------------------------------
#
# Each browser gets a random person id in its own signed cookie, made on its first
# request (``server.access.links.gate``) and kept whatever name it picks: two people
# with one display name are two people; one person renaming or reconnecting is one.
# The board never sees the id itself, only its key (``person_key``: an HMAC of it under
# the instance's secret), and no client sees either (docs/access.md#people).

PERSON_COOKIE = "sb_person"
PERSON_SCOPE = "sb_person"  # the id made for this very request (its cookie is not back yet)
_PERSON = "person"  # the signing purpose: a value signed for another never passes
_PERSON_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_person() -> str:
    """A fresh person id (144 random bits, url-safe)."""
    return secrets.token_urlsafe(18)


def person_cookie(secret: str, person: str, *, secure: bool) -> Cookie:
    """The signed, long-lived, HttpOnly person cookie (like the name's)."""
    return Cookie(
        key=PERSON_COOKIE,
        value=seal(secret, _PERSON, person.encode()),
        max_age=COOKIE_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def verify_person(secret: str, value: str | None) -> str | None:
    """The person id in a cookie value, or ``None`` if missing, malformed or forged."""
    data = unseal(secret, _PERSON, value, limit=256)
    if data is None:
        return None
    try:
        person = data.decode()
    except UnicodeDecodeError:
        return None
    return person if _PERSON_ID.fullmatch(person) else None


def person_key(secret: str, person: str) -> str:
    """What the board keys a person by (dots, hidden cards, holds, attendance): an HMAC
    of the id, so nothing the board holds can be turned back into the cookie."""
    digest = hmac.new(secret.encode(), f"person-key\0{person}".encode(), hashlib.sha256)
    return "p" + base64.urlsafe_b64encode(digest.digest()[:12]).decode()


def current_person(connection: ASGIConnection[Any, Any, Any, Any], secret: str) -> str | None:
    """The person id of a request or websocket: made for this request, or its cookie."""
    made = connection.scope.get(PERSON_SCOPE)  # type: ignore[call-overload]
    if isinstance(made, str):
        return made
    return verify_person(secret, connection.cookies.get(PERSON_COOKIE))


def current_key(connection: ASGIConnection[Any, Any, Any, Any], secret: str) -> str | None:
    """The board's key of the person making a request (``None``: no person cookie)."""
    person = current_person(connection, secret)
    return person_key(secret, person) if person is not None else None


def guest_name(key: str) -> str:
    """The display name of a person who has not picked one: the same on every connection
    (a hash of their key, so it tells nothing of it)."""
    return f"Guest {hashlib.sha256(key.encode()).hexdigest()[:4]}"


def api_label(role: str | None, *, admin: bool) -> str:
    """Who a bearer-token write is by (R42): the token's link, never a person's name."""
    return "API (admin)" if admin else f"API ({role or 'no'} link)"


def api_key(label: str) -> str:
    """The key of a bearer-token caller: ``~`` marks a machine, never an attendee (R42)."""
    return MACHINE + label
