"""Fractional ranks: strings that order cards within a column.

A rank is a base-62 fraction written with the ASCII-ordered digits ``0-9A-Za-z`` and
no trailing ``0``; comparing two ranks as plain strings compares the fractions. There
is always a rank strictly between two others, so a move rewrites one card's rank and
nothing else. Clients compare ranks with ``<`` on strings (UTF-16 order equals ASCII
order here), which is why the alphabet is ASCII-sorted.

The same algorithm is ported to ``static/js/ranks.js`` for optimistic moves.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
_INDEX = {d: i for i, d in enumerate(DIGITS)}

#: A rank longer than this makes the column re-spread its ranks (see ``spread``).
MAX_RANK_LEN = 24


def is_valid(rank: str) -> bool:
    """A rank is non-empty, uses only the digits, and does not end in ``0``."""
    return bool(rank) and rank[-1] != DIGITS[0] and all(c in _INDEX for c in rank)


def between(a: str | None, b: str | None) -> str:
    """A rank strictly between ``a`` and ``b`` (``None`` means the open end).

    Appending (``b is None``) takes the shortest successor, so a column filled from
    the bottom grows about one character per 31 cards instead of one per six.
    """
    if a is not None and b is not None and not a < b:
        raise ValueError(f"ranks out of order: {a!r} >= {b!r}")
    if b is None and a:
        return _after(a)
    return _midpoint(a or "", b)


def _after(a: str) -> str:
    for i, ch in enumerate(a):
        if ch != DIGITS[-1]:
            return a[:i] + DIGITS[_INDEX[ch] + 1]
    return a + DIGITS[BASE // 2]


def _midpoint(a: str, b: str | None) -> str:
    zero = DIGITS[0]
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else zero) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    da = _INDEX[a[0]] if a else 0
    db = _INDEX[b[0]] if b is not None else BASE
    if db - da > 1:
        return DIGITS[(da + db + 1) // 2]
    if b is not None and len(b) > 1:
        return b[:1]
    return DIGITS[da] + _midpoint(a[1:], None)


def spread(n: int) -> list[str]:
    """``n`` short, evenly spaced ranks in increasing order (for new or re-spread columns)."""
    if n <= 0:
        return []
    width = 1
    while BASE**width < 4 * (n + 1):
        width += 1
    span = BASE**width
    out: list[str] = []
    for i in range(1, n + 1):
        value = i * span // (n + 1)
        digits = []
        for _ in range(width):
            value, d = divmod(value, BASE)
            digits.append(DIGITS[d])
        out.append("".join(reversed(digits)).rstrip(DIGITS[0]))
    return out
