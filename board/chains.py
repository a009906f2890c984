"""Scrums of Scrums of Scrums: an SoS's parent SoS, and the chains they make (SPEC R72).

A Scrum of Scrums may have a parent Scrum of Scrums (``forum_links`` relation
``parent``): it then escalates there instead of to its Executive Action Team, and the
parent works the card or escalates it on, to its own parent or its EAT. Parents make
chains of any depth, never a circle. This module says, purely, whether a parent may be
set, and how high each SoS stands (for the network picture: a parent above its
children). Forums in, answers out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

PARENT: Final = "parent"  # the forum_links relation: an SoS's parent SoS
SOS: Final = "sos"


def parent_problem(
    forum_id: str, parent_id: str | None, kinds: Mapping[str, str], parents: Mapping[str, str]
) -> str | None:
    """Why ``forum_id`` cannot have ``parent_id`` as its parent (``None``: it can; a
    ``None`` parent clears it). ``kinds``: every forum's kind by id; ``parents``: the
    parent links as they are now."""
    if kinds.get(forum_id) != SOS:
        return "Only a Scrum of Scrums has a parent Scrum of Scrums."
    if parent_id is None:
        return None
    if parent_id not in kinds:
        return f"There is no forum {parent_id!r}."
    if kinds[parent_id] != SOS:
        return "A Scrum of Scrums' parent must be a Scrum of Scrums."
    if parent_id == forum_id:
        return "A Scrum of Scrums cannot be its own parent."
    seen = {forum_id}
    up: str | None = parent_id
    while up is not None:
        if up in seen:
            return "That would make a circle: the parent is already below this Scrum of Scrums."
        seen.add(up)
        up = parents.get(up)
    return None


def heights(parents: Mapping[str, str]) -> dict[str, int]:
    """How many levels of SoS stand below each parent (a forum with no children: 0,
    not listed). Circles (never stored, R72) are cut where they close."""
    out: dict[str, int] = {}
    for child in sorted(parents):
        level, up, seen = 1, parents.get(child), {child}
        while up is not None and up not in seen:
            out[up] = max(out.get(up, 0), level)
            seen.add(up)
            level += 1
            up = parents.get(up)
    return out
