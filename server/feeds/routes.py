"""Calendar feed routes: the feed itself, and the pages that show and rotate its URL.

``GET /feeds/<token>.ics`` is answered here as ``/feeds/calendar.ics``: the edge took the
token out of the path first (``server.access.feed_tokens.take_feed_token``), so no log
line holds it. A token that opens nothing (never made, or rotated away) is a plain 404,
the same as any address that does not exist. The forum's feed page is the
facilitator's; a person's ("My next steps") is theirs, by their person cookie.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.response import Redirect

from server.access.feed_tokens import SHOWN_PATH, token_of
from server.access.guards import check_form, forum_guard, who
from server.access.identity import current_key
from server.access.service import Access
from server.feeds.service import FORUM, PERSON, current, document, resolve, rotate
from server.web.deps import AccessDep, RendererDep, SecretDep, StorageDep
from server.web.errors import html, not_found
from server.web.forms import FormData, current_name
from server.web.render import Renderer

Req = Request[Any, Any, Any]


def _base(request: Req) -> str:
    return str(request.base_url).rstrip("/")


def _page(renderer: Renderer, request: Req, token: str, **ctx: Any) -> Response[str]:
    url = f"{_base(request)}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    body = renderer.page(
        "feed.html",
        url=url,
        webcal=webcal,
        rotated=bool(request.query_params.get("rotated")),
        **ctx,
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get(SHOWN_PATH, include_in_schema=False)
async def feed(
    request: Req, storage: StorageDep, access: AccessDep, renderer: RendererDep, secret: SecretDep
) -> Response[Any]:
    """The feed a token opens, as ``text/calendar``."""
    found = await resolve(storage, secret, token_of(request.scope))
    body = None if found is None else await document(storage, access, found, _base(request))
    if body is None:
        return not_found(renderer, "There is no calendar feed at this address (was it rotated?).")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="scaleboard.ics"',
        },
    )


@get("/forums/{forum_id:str}/feed", include_in_schema=False, guards=[forum_guard("facilitator")])
async def forum_feed_page(
    request: Req, storage: StorageDep, renderer: RendererDep, secret: SecretDep, forum_id: str
) -> Response[str]:
    forum = await storage.forums.forum(forum_id)
    if forum is None:
        return not_found(renderer, "There is no forum at this address.")
    _, token = await current(storage, secret, FORUM, forum_id)
    return _page(renderer, request, token, forum=forum, action=f"/forums/{forum_id}/feed")


@post("/forums/{forum_id:str}/feed", include_in_schema=False, guards=[forum_guard("facilitator")])
async def forum_feed_rotate(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
    data: FormData,
) -> Response[Any]:
    """A new URL for the forum's feed; the old one stops at once."""
    await check_form(request, data)
    if await storage.forums.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    await rotate(storage, secret, FORUM, forum_id)
    return Redirect(f"/forums/{forum_id}/feed?rotated=1", status_code=303)


class _Person(NamedTuple):
    key: str
    name: str
    grants: list[tuple[str, str, str]]
    admin_mark: str


async def _person(request: Req, access: Access, secret: str) -> _Person | None:
    """Who opens their feed page: their key and name, and what their access holds now
    (the grants of their cookie that still open a forum, the admin's mark)."""
    name = current_name(request, secret)
    key = current_key(request, secret)
    if name is None or key is None:
        return None
    person = await who(request)
    grants = [(f, str(r), m) for f, r, m in person.held.g if f in person.roles]
    admin_mark = (await access.admin_mark() or "") if person.admin else ""
    return _Person(key, name, grants, admin_mark)


@get("/my/feed", include_in_schema=False)
async def my_feed_page(
    request: Req, storage: StorageDep, access: AccessDep, renderer: RendererDep, secret: SecretDep
) -> Response[Any]:
    p = await _person(request, access, secret)
    if p is None:
        return Redirect("/name?next=/my/feed", status_code=303)
    _, token = await current(
        storage, secret, PERSON, p.key, owner=p.name, grants=p.grants, admin_mark=p.admin_mark
    )
    return _page(renderer, request, token, forum=None, owner=p.name, action="/my/feed")


@post("/my/feed", include_in_schema=False)
async def my_feed_rotate(
    request: Req, storage: StorageDep, access: AccessDep, secret: SecretDep, data: FormData
) -> Response[Any]:
    await check_form(request, data)
    p = await _person(request, access, secret)
    if p is None:
        return Redirect("/name?next=/my/feed", status_code=303)
    await rotate(
        storage, secret, PERSON, p.key, owner=p.name, grants=p.grants, admin_mark=p.admin_mark
    )
    return Redirect("/my/feed?rotated=1", status_code=303)


FEED_ROUTES: list[Any] = [feed, forum_feed_page, forum_feed_rotate, my_feed_page, my_feed_rotate]
