"""The demo's Scrum of Scrums of Scrums (SPEC R72): a second Scrum of Scrums (Platform)
and the parent SoS above it and the Commerce SoS. One impediment goes the whole way, for
real: raised in the Platform SoS, escalated to the parent, escalated on to the EAT,
accepted and removed there — the removal moves it to Removed on every board below (the
mail applied in order, as the server does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, TypeVar

from board import ops as o
from board.model import Board, new_board


class Script(Protocol):
    """What this needs of ``server.demo.Script``: ops applied in order, mail delivered."""

    board: Board
    at: float

    def card(self, actor: str, column: str, title: str, **fields: Any) -> str: ...

    def do(self, actor: str, op: o.Op, *, minutes: float = 1.0) -> bool: ...

    def send(self, actor: str, op: o.Op, scripts: Any, *, minutes: float) -> None: ...


S = TypeVar("S", bound=Script)

PLATFORM: Final = "sos-platform"
PARENT_SOS: Final = "sos-of-sos"
RUNNERS: Final = "Shared CI runners are over capacity every release week"
# (child, parent): both demo Scrums of Scrums escalate to the parent SoS.
PARENTS: Final = (("sos-commerce", PARENT_SOS), (PLATFORM, PARENT_SOS))


def chain_scripts(start: float, script: Callable[[Board, float], S]) -> list[S]:
    """The Platform SoS and the parent SoS, with their cards (not yet sent)."""
    platform = script(new_board(PLATFORM, "sos", "Scrum of Scrums — Platform"), start)
    platform.card("Noor Haddad", "new", RUNNERS, team="platform",
                  body="Builds queue for an hour; both release trains slip.")  # fmt: skip
    platform.card("Noor Haddad", "removing", "Two teams need the same DBA this sprint",
                  kind="dependency", team="platform", to_team="payments")  # fmt: skip
    parent = script(new_board(PARENT_SOS, "sos", "Scrum of Scrums of Scrums"), start)
    parent.card("Maya Chen", "new", "Commerce and Platform release trains collide",
                kind="risk", team="platform", to_team="checkout")  # fmt: skip
    return [platform, parent]


def escalate_up(scripts: Mapping[str, Script]) -> None:
    """The runners impediment goes Platform SoS → parent SoS → EAT; the EAT accepts it,
    then removes it."""
    platform, parent, eat = scripts[PLATFORM], scripts[PARENT_SOS], scripts["eat"]
    card = next(c.id for c in platform.board.cards.values() if c.title == RUNNERS)
    up = o.EscalateCard(card=card, to_forum=PARENT_SOS, to_name=parent.board.name, to_kind="sos",
                        note="Both trains need more runners: the SoS cannot buy them.",
                        wait_in="needs-eat")  # fmt: skip
    platform.send("Noor Haddad", up, scripts, minutes=60 * 24)
    copy = next(c.id for c in parent.board.cards.values() if c.origin and c.origin.card == card)
    parent.at = max(parent.at, platform.at)
    on = o.EscalateCard(card=copy, to_forum="eat", to_name=eat.board.name, to_kind="eat",
                        note="A budget for build capacity across both trains.",
                        wait_in="needs-eat")  # fmt: skip
    parent.send("Maya Chen", on, scripts, minutes=90)
    there = next(c.id for c in eat.board.cards.values() if c.origin and c.origin.card == copy)
    eat.at = max(eat.at, parent.at)
    eat.send("Dana Weiss", o.MoveCard(card=there, column="accepted", index=0), scripts, minutes=120)
    eat.send("Dana Weiss", o.MoveCard(card=there, column="removed", index=0), scripts,
             minutes=60 * 24)  # fmt: skip
