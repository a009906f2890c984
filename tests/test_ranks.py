"""Fractional ranks (board/ranks.py): always room between two ranks, string order is order."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from board import ranks
from board.ranks import BASE, DIGITS, between, is_valid, spread

# A valid rank: base-62 digits, no trailing "0", not empty.
rank_st = (
    st.text(alphabet=DIGITS, min_size=1, max_size=16)
    .map(lambda s: s.rstrip(DIGITS[0]))
    .filter(bool)
)


def value(rank: str) -> Fraction:
    """The fraction a rank stands for: 0.d1 d2 d3 ... in base 62."""
    return sum(
        (Fraction(DIGITS.index(d), BASE ** (i + 1)) for i, d in enumerate(rank)), Fraction(0)
    )


def test_alphabet_is_ascii_sorted() -> None:
    # SPEC R17: clients compare ranks as plain strings, so digit order must be char order.
    assert list(DIGITS) == sorted(DIGITS)
    assert BASE == 62
    assert all(ord(d) < 128 for d in DIGITS)


@pytest.mark.parametrize("rank", ["V", "1", "z", "0V", "zzV", "a1b2"])
def test_valid_ranks(rank: str) -> None:
    assert is_valid(rank)


@pytest.mark.parametrize("rank", ["", "0", "V0", "a-b", "é", " V"])
def test_invalid_ranks(rank: str) -> None:
    assert not is_valid(rank)


@given(a=rank_st, b=rank_st)
def test_string_order_is_fraction_order(a: str, b: str) -> None:
    # SPEC R17: plain string comparison orders ranks as the fractions they stand for.
    assert (a < b) == (value(a) < value(b))
    assert (a == b) == (value(a) == value(b))


@given(a=rank_st, b=rank_st)
def test_between_is_strictly_between(a: str, b: str) -> None:
    lo, hi = sorted((a, b))
    if lo == hi:
        with pytest.raises(ValueError):
            between(lo, hi)
        return
    mid = between(lo, hi)
    assert is_valid(mid)
    assert lo < mid < hi
    assert value(lo) < value(mid) < value(hi)


@given(rank=rank_st)
def test_between_open_ends(rank: str) -> None:
    below, above = between(None, rank), between(rank, None)
    assert is_valid(below) and below < rank
    assert is_valid(above) and above > rank


def test_between_empty_column() -> None:
    assert is_valid(between(None, None))


@given(a=rank_st, b=rank_st)
def test_between_rejects_bounds_out_of_order(a: str, b: str) -> None:
    lo, hi = sorted((a, b))
    with pytest.raises(ValueError):
        between(hi, lo) if lo != hi else between(lo, lo)


def insert_all(moves: list[tuple[str, int]]) -> list[str]:
    """Insert ranks as a column would, by intended position; return them in that order."""
    order: list[str] = []
    for where, n in moves:
        if where == "front":
            i = 0
        elif where == "back":
            i = len(order)
        elif where == "same":  # always just after the first card: the worst case
            i = min(1, len(order))
        else:
            i = n % (len(order) + 1)
        before = order[i - 1] if i > 0 else None
        after = order[i] if i < len(order) else None
        new = between(before, after)
        assert is_valid(new)
        assert (before is None or before < new) and (after is None or new < after)
        order.insert(i, new)
    return order


moves_st = st.lists(
    st.tuples(st.sampled_from(["front", "back", "same", "anywhere"]), st.integers(0, 10_000)),
    max_size=400,
)


@settings(max_examples=150, deadline=None)
@given(moves=moves_st)
def test_long_insertion_sequences_keep_order(moves: list[tuple[str, int]]) -> None:
    # SPEC R17: the order a column intends is exactly the string order of its ranks.
    order = insert_all(moves)
    assert order == sorted(order)
    assert len(set(order)) == len(order)


@pytest.mark.parametrize("where", ["front", "back", "same"])
def test_repeated_insertion_at_one_spot(where: str) -> None:
    order = insert_all([(where, 0)] * 1000)
    assert order == sorted(order)
    assert len(set(order)) == 1000


def test_appending_grows_slowly() -> None:
    order = insert_all([("back", 0)] * 1000)
    # Appending takes the shortest successor: far slower growth than bisecting.
    assert max(map(len, order)) <= 2 + 1000 // 30


def test_same_spot_grows_past_max_len() -> None:
    # Inserting at one spot must eventually exceed MAX_RANK_LEN: that is why apply re-spreads.
    order = insert_all([("same", 0)] * 400)
    assert max(map(len, order)) > ranks.MAX_RANK_LEN


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 5000))
def test_spread_gives_n_increasing_short_ranks(n: int) -> None:
    out = spread(n)
    assert len(out) == n
    assert all(is_valid(r) for r in out)
    assert all(a < b for a, b in pairwise(out))
    assert all(len(r) <= 3 for r in out)  # 62**3 covers far more cards than a board holds


@pytest.mark.parametrize("n", [-5, 0])
def test_spread_of_nothing(n: int) -> None:
    assert spread(n) == []


@given(n=st.integers(1, 300), i=st.integers(0, 300))
def test_spread_leaves_room_everywhere(n: int, i: int) -> None:
    out = spread(n)
    i = i % (n + 1)
    before = out[i - 1] if i > 0 else None
    after = out[i] if i < n else None
    new = between(before, after)
    assert len(new) <= ranks.MAX_RANK_LEN
    assert (before is None or before < new) and (after is None or new < after)
