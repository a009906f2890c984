"""Where a store is: a SQLite file's path, or a PostgreSQL URL (``postgresql://`` or
``postgres://``); and how to name it in messages without its password."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Final

DATABASE_SCHEMES: Final = ("postgresql://", "postgres://")


def is_database_url(where: str | Path) -> bool:
    """Whether ``where`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(where, str) and where.startswith(DATABASE_SCHEMES)


def store_at(where: str | Path) -> str | Path:
    """A command line's ``--db``: the URL as given, or the file's path."""
    return where if is_database_url(where) else Path(where)


def shown(where: str | Path) -> str:
    """``where`` for a message or a log: a URL without its password, a file's full path."""
    if not is_database_url(where):
        return str(Path(where).resolve())
    parts = urllib.parse.urlsplit(str(where))
    if parts.password is None:
        return str(where)
    user = f"{parts.username}:***@" if parts.username else ":***@"
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}{parts.hostname or ''}{port}"))
