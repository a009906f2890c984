"""The demo's standard and feedback loop (SPEC R66–R68): the EAT adopts its trunk-based
development improvement as a standard for every Scrum of Scrums and Scaled
Retrospective (a decision of an EAT session, announced to those forums as mail), and
the Scrum of Scrums has sent the EAT process feedback it has not answered yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from board import ops as o
from board import ops_standards as so

TRUNK = "Standardise trunk-based development across teams"
STANDARD = (
    "Every team merges to trunk at least daily, behind feature flags; "
    "long-lived branches need the SoS's agreement."
)
FEEDBACK = "Impediments raised in the Scaled Daily Scrum wait a week for the EAT"


def standards_and_feedback(scripts: dict[str, Any]) -> None:
    """Adopt the demo standard in the EAT and send the SoS's process feedback
    (``scripts``: ``server.demo.Script`` by forum id)."""
    eat, sos = scripts["eat"], scripts["sos-commerce"]
    card = next(c.id for c in eat.board.cards.values() if c.title == TRUNK)
    kinds = ("sos", "retro")
    forums = tuple(s.board.forum_id for s in scripts.values() if s.board.kind in kinds)
    eat.at = max(eat.at, sos.at)
    eat.do("Dana Weiss", o.StartSession(), minutes=60)
    effective = dt.datetime.fromtimestamp(eat.at, dt.UTC).date() + dt.timedelta(days=7)
    adopt = so.AdoptStandard(
        card=card, text=STANDARD, applies="kinds", kinds=kinds, forums=forums, effective=effective
    )
    eat.send("Dana Weiss", adopt, scripts, minutes=20)
    eat.do("Dana Weiss", o.EndSession(), minutes=25)
    add = o.AddCard(
        column="new",
        kind="note",
        title=FEEDBACK,
        body="The EAT meets weekly; a blocked team waits for it.",
    )
    sos.at = max(sos.at, eat.at)
    sos.do("Maya Chen", add, minutes=30)
    target = eat.board
    send = o.EscalateCard(
        card=f"c{sos.board.seq}",
        to_forum=target.forum_id,
        to_name=target.name,
        to_kind=target.kind,
        route="feedback-process",
        note="Could the EAT take urgent impediments between its meetings?",
    )
    sos.send("Maya Chen", send, scripts, minutes=2)
