"""Where a forum's routes (``escalate``, ``product``, ``improvement``) lead: reading the
forum one leads to, and setting it (the admin's form and API)."""

from __future__ import annotations

from board.kinds import forum_kind, route, routes_from
from server.forums.api_schema import EscalatesTo
from server.network.escalation import EscalationProblem, escalation_target, find_route
from server.storage import Storage
from server.storage.forums import ForumDirectory
from server.web.errors import ApiProblem


async def escalates_to(storage: Storage, forum_id: str, route_id: str = "escalate") -> EscalatesTo:
    """The forum route ``route_id`` of ``forum_id`` leads to (an ``ApiProblem`` for an
    unknown forum or route)."""
    forum = await storage.forums.forum(forum_id)
    if forum is None:
        raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
    try:
        find_route(forum.kind, route_id)
    except EscalationProblem as e:
        raise ApiProblem(e.status, e.code, e.reason) from None
    target = await escalation_target(storage, forum, route_id)
    return EscalatesTo(forum=target.id if target else None, name=target.name if target else "")


async def set_escalation(
    forums: ForumDirectory, forum_id: str, target_id: str | None, route_id: str = "escalate"
) -> tuple[int, str, str] | None:
    """Set the forum route ``route_id`` of ``forum_id`` leads to; the problem as
    (status, code, reason)."""
    forum = await forums.forum(forum_id)
    if forum is None:
        return 404, "not_found", f"There is no forum {forum_id!r}."
    way = route(forum.kind, route_id)
    if way is None:
        label = forum_kind(forum.kind).label
        if not routes_from(forum.kind):
            return 400, "invalid", f"A {label} does not send cards to other forums."
        return 404, "not_found", f"A {label} has no route {route_id!r}."
    if target_id is not None:
        target = await forums.forum(target_id)
        if target is None or target.kind != way.to_kind:
            label = forum_kind(way.to_kind).label
            return 400, "invalid", f"{target_id!r} is not an {label} forum."
    await forums.set_link(forum_id, way.relation, target_id)
    return None
