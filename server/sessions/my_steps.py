"""``/my/steps``: the open next steps a person owns, across every forum they can open.

Next steps record their owner as a name (typed, or picked from the forum's people), so a
person's steps are those whose owner is one of the display names their browser went by
(``server.access.identity.names_used``: the current one first), compared without case,
in the forums their access opens now (the admin: every forum). Overdue ones come first,
then by due date (none last), each linking to its forum and session; "Mark done" is the
history pages' per-row form (``server/sessions/history.py``), shown where the person may
change next steps (a participant or facilitator of that forum).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get
from litestar.response import Redirect

from board.access import can
from server.access.guards import who
from server.access.identity import names_used
from server.sessions.listing import list_steps
from server.storage.history import LoggedStep, StepFilter
from server.web.deps import RendererDep, RoomsDep, SecretDep, StorageDep
from server.web.errors import html

Req = Request[Any, Any, Any]
MAX_STEPS = 500  # steps the page lists at most


def _order(step: LoggedStep) -> tuple[bool, bool, dt.date, float]:
    """Overdue first, then soonest due, undated last, then the newest."""
    return (not step.overdue, step.due is None, step.due or dt.date.max, -step.created_at)


@get("/my/steps", include_in_schema=False)
async def my_steps(
    request: Req, storage: StorageDep, rooms: RoomsDep, renderer: RendererDep, secret: SecretDep
) -> Response[Any]:
    names = names_used(request, secret)
    if not names:
        return Redirect("/name?next=/my/steps", status_code=303)
    person = await who(request)
    visible = person.visible()
    found: dict[tuple[str, str], LoggedStep] = {}
    today = dt.date.today()
    if visible is None or visible:
        for name in names:  # the owner filter compares without case (``StepFilter``)
            _, steps = await list_steps(
                storage.history,
                rooms,
                StepFilter(status="open", owner=name),
                today=today,
                limit=MAX_STEPS,
                visible=visible,
            )
            for s in steps:
                found.setdefault((s.forum_id, s.id), s)
    steps = sorted(found.values(), key=_order)[:MAX_STEPS]
    body = renderer.page(
        "my_steps.html",
        steps=steps,
        names=names,
        name=names[0],
        overdue=sum(1 for s in steps if s.overdue),
        can_change=lambda fid: can(person.role(fid), "update_next_step"),
    )
    return html(body, headers={"Cache-Control": "no-store"})


MY_PAGES: list[Any] = [my_steps]
