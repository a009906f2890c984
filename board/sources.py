"""Where an imported card comes from (SPEC R65): the check of an ``add_card``'s source.

A card imported from a tracker (Jira, Azure DevOps, GitHub: ``server/imports/``) keeps
the item's key and its address there, and the card face links back to it. The address
is shown as a link to everyone on the board, so only an absolute ``http``/``https`` URL
with a host is accepted (never ``javascript:``, ``data:`` or a relative path), and the
key is single-line text. Pure: no I/O.
"""

from __future__ import annotations

from . import ops as o
from .model import SOURCE_SYSTEMS, CardSource
from .rules import Rejected, clean_text


def check_url(url: str) -> str:
    """``url`` when it is an absolute http(s) address with a host, else ``Rejected``.
    No whitespace or control characters (a URL that needs them is percent-encoded)."""
    if not url:
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise Rejected("invalid", "A source link may not contain spaces or control characters.")
    scheme, sep, rest = url.partition("://")
    host = _host(rest)
    if host is None:
        raise Rejected("invalid", "The source link is not a valid address.")
    if not sep or scheme.lower() not in ("http", "https") or not host:
        raise Rejected("invalid", "A source link must be an http:// or https:// address.")
    return url


def _host(rest: str) -> str | None:
    """The host of what follows ``scheme://``: the authority (up to ``/``, ``?`` or
    ``#``) without its user info and port; ``""`` when there is none, ``None`` for an
    unclosed ``[`` (no address at all). Plain string work: the board imports no URL
    parser (stdlib data and msgspec only); a ``[v6]`` literal keeps its brackets."""
    authority = rest
    for stop in "/?#":
        authority = authority.split(stop, 1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host if "]" in host[1:] else None
    return host.partition(":")[0]


def check_source(source: o.SourceIn | None) -> CardSource | None:
    """The card's source from an op's (R65), or ``Rejected`` naming what is wrong."""
    if source is None:
        return None
    if source.system not in SOURCE_SYSTEMS:
        raise Rejected(
            "invalid",
            f"A card's source is one of {', '.join(SOURCE_SYSTEMS)} (not {source.system!r}).",
        )
    key = clean_text(source.key, single_line=True)
    if not key:
        raise Rejected("invalid", "A card's source needs the item's key.")
    return CardSource(system=source.system, key=key, url=check_url(source.url))
