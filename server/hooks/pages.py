"""The Integrations pages: ``/admin/integrations`` (the admin: every forum's
subscriptions) and ``/forums/{forum_id}/integrations`` (a facilitator: their forum's).
Each lists the subscriptions with their delivery logs, and its forms make one (the page
that answers shows its secret once), send a test event, resume or delete one. A form
that cannot be taken answers the page again with the reason and changes nothing."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from board.outgoing import KIND_LABELS, KINDS
from server.access.guards import admin_guard, check_form, forum_guard
from server.hooks.api import base_of, by_label
from server.hooks.deliverer import PAUSE_AFTER
from server.hooks.formats import FORMATS
from server.hooks.service import Refusal, find, kinds_of_form, log_of, scope, send_test, subscribe
from server.storage import Storage
from server.storage.hooks import Subscription
from server.web.deps import DelivererDep, RendererDep, StorageDep
from server.web.errors import html, not_found
from server.web.forms import FormData
from server.web.render import Renderer

Req = Request[Any, Any, Any]
NOTICES = {
    "tested": "A test event is on its way: its delivery shows below.",
    "resumed": "Resumed: what waited is being sent.",
    "deleted": "The subscription was deleted.",
}


async def _page(
    request: Req,
    storage: Storage,
    renderer: Renderer,
    forum_id: str | None,
    *,
    status: int = 200,
    made: Subscription | None = None,
    error: str = "",
    form: dict[str, Any] | None = None,
) -> Response[str]:
    forums = await storage.forums.forums()
    names = {f.id: f.name for f in forums}
    subs = (
        await scope(storage, forum_id)
        if forum_id is not None
        else await storage.hooks.subscriptions()
    )
    forum = next((f for f in forums if f.id == forum_id), None)
    body = renderer.page(
        "integrations.html",
        base=f"/forums/{forum_id}/integrations" if forum_id else "/admin/integrations",
        forum=forum,
        forums=forums,
        forum_names=names,
        scope_name=forum.name if forum else "every forum",
        subs=[{"sub": s, "log": await log_of(storage, s, 20)} for s in subs],
        kinds=KINDS,
        labels=KIND_LABELS,
        formats=FORMATS,
        pause_after=PAUSE_AFTER,
        made=made,
        error=error,
        notice=NOTICES.get(request.query_params.get("done", ""), ""),
        form=form or {"url": "", "format": "json", "forum_id": "", "kinds": ()},
    )
    return html(body, status=status, headers={"Cache-Control": "no-store"})


async def _create(
    request: Req, storage: Storage, renderer: Renderer, forum_id: str | None, data: dict[str, str]
) -> Response[str]:
    await check_form(request, data)
    kinds = kinds_of_form(data)
    form: dict[str, Any] = {
        "url": data.get("url", ""),
        "format": data.get("format", "json"),
        "forum_id": data.get("forum_id", ""),
        "kinds": kinds,
    }
    target = forum_id if forum_id is not None else (data.get("forum_id") or None)
    try:
        if target is not None and await storage.forums.forum(target) is None:
            raise Refusal(400, "invalid", "Choose a forum of this Scaleboard.")
        sub = await subscribe(
            storage,
            target,
            data.get("url", ""),
            data.get("format", "json"),
            kinds,
            await by_label(request, target),
            base_of(request),
        )
    except Refusal as r:
        return await _page(
            request, storage, renderer, forum_id, status=r.status, error=r.reason, form=form
        )
    return await _page(request, storage, renderer, forum_id, status=201, made=sub)


async def _act(
    request: Req,
    storage: Storage,
    renderer: Renderer,
    deliverer: DelivererDep,
    forum_id: str | None,
    sub_id: str,
    action: str,
    data: dict[str, str],
) -> Response[Any]:
    await check_form(request, data)
    base = f"/forums/{forum_id}/integrations" if forum_id else "/admin/integrations"
    try:
        sub = await find(storage, sub_id, forum_id)
    except Refusal as r:
        return not_found(renderer, r.reason, base, "Back to the integrations")
    if action == "test":
        await send_test(storage, sub)
        deliverer.wake()
        return Redirect(f"{base}?done=tested#sub-{sub.id}", status_code=303)
    if action == "resume":
        await storage.hooks.resume(sub.id, time.time())
        deliverer.wake()
        return Redirect(f"{base}?done=resumed#sub-{sub.id}", status_code=303)
    await storage.hooks.unsubscribe(sub.id)
    return Redirect(f"{base}?done=deleted", status_code=303)


@get("/admin/integrations", include_in_schema=False, guards=[admin_guard])
async def admin_integrations(
    request: Req, storage: StorageDep, renderer: RendererDep
) -> Response[str]:
    """Every subscription, and the form to subscribe a URL to one forum or every one."""
    return await _page(request, storage, renderer, None)


@post("/admin/integrations", include_in_schema=False, guards=[admin_guard], status_code=201)
async def admin_subscribe(
    request: Req, storage: StorageDep, renderer: RendererDep, data: FormData
) -> Response[str]:
    return await _create(request, storage, renderer, None, data)


@post(
    "/admin/integrations/{sub_id:str}/{action:str}",
    include_in_schema=False,
    guards=[admin_guard],
    status_code=303,
)
async def admin_action(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    deliverer: DelivererDep,
    sub_id: str,
    action: str,
    data: FormData,
) -> Response[Any]:
    if action not in ("test", "resume", "delete"):
        return not_found(renderer, "There is nothing to do here.", "/admin/integrations", "Back")
    return await _act(request, storage, renderer, deliverer, None, sub_id, action, data)


@get(
    "/forums/{forum_id:str}/integrations",
    include_in_schema=False,
    guards=[forum_guard("facilitator")],
)
async def forum_integrations(
    request: Req, storage: StorageDep, renderer: RendererDep, forum_id: str
) -> Response[str]:
    """The forum's subscriptions, and the form to subscribe a URL to its events."""
    if await storage.forums.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    return await _page(request, storage, renderer, forum_id)


@post(
    "/forums/{forum_id:str}/integrations",
    include_in_schema=False,
    guards=[forum_guard("facilitator")],
    status_code=201,
)
async def forum_subscribe(
    request: Req, storage: StorageDep, renderer: RendererDep, forum_id: str, data: FormData
) -> Response[str]:
    if await storage.forums.forum(forum_id) is None:
        return not_found(renderer, "There is no forum at this address.")
    return await _create(request, storage, renderer, forum_id, data)


@post(
    "/forums/{forum_id:str}/integrations/{sub_id:str}/{action:str}",
    include_in_schema=False,
    guards=[forum_guard("facilitator")],
    status_code=303,
)
async def forum_action(
    request: Req,
    storage: StorageDep,
    renderer: RendererDep,
    deliverer: DelivererDep,
    forum_id: str,
    sub_id: str,
    action: str,
    data: FormData,
) -> Response[Any]:
    base = f"/forums/{forum_id}/integrations"
    if action not in ("test", "resume", "delete"):
        return not_found(renderer, "There is nothing to do here.", base, "Back")
    return await _act(request, storage, renderer, deliverer, forum_id, sub_id, action, data)


HOOK_PAGES: list[Any] = [
    admin_integrations,
    admin_subscribe,
    admin_action,
    forum_integrations,
    forum_subscribe,
    forum_action,
]
