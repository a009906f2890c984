"""The server's part of the Scaled Backlog and WIP limits: thin reads for two pages.

- The forum page's team filter (``?team=<id>``): an unknown team is a 404 page with a
  way back to the whole board, never a silently empty list. The filter itself is
  drawn by ``templates/_backlog.html`` and kept while live updates arrive by
  ``static/js/backlog.js``.
- A session page's WIP overruns: the ``wip_exceeded`` events of the session, from the
  forum's replayed history (``server.metrics.histories.Histories``, the same cache the
  metrics and guardrails read), so imported and old forums show them too.
"""

from __future__ import annotations

from litestar import Response

from board.wip import WipOverrun
from server.metrics.histories import Histories, Unavailable
from server.web.errors import not_found
from server.web.render import Renderer


def team_choice(renderer: Renderer, forum_id: str, team: str | None) -> str | Response[str]:
    """The team id a forum page is filtered to (``""``: none), or the 404 page for an
    unknown one."""
    chosen = (team or "").strip()
    if not chosen or chosen in renderer.teams:
        return chosen
    message = f"There is no team {chosen[:60]!r} to filter this board by."
    return not_found(renderer, message, f"/forums/{forum_id}", "Show all teams")


async def session_overruns(
    histories: Histories, forum_id: str, session_id: str
) -> list[WipOverrun]:
    """Every time a column went over its WIP limit during the session, oldest first
    (none when the forum's log does not replay)."""
    try:
        history = await histories.get(forum_id)
    except Unavailable:
        return []
    for session in history.sessions:
        if session.id == session_id:
            return list(session.wip_overruns)
    return []
