"""The webhook API (SPEC R60–R64, docs/integrations.md): a facilitator's under
``/api/forums/{forum_id}/hooks`` (their forum's subscriptions), the admin's under
``/api/hooks`` (every forum's, or one's). Make a subscription (its secret is in the
answer, once), list them, read one's delivery log, send a test event, resume a paused
one, delete one. Bad input is a 400 with a reason and changes nothing."""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import Parameter

from board.access import LABELS
from server.access.guards import admin_guard, forum_guard, who
from server.hooks.service import (
    NewSubscription,
    Refusal,
    SubscriptionView,
    find,
    log_of,
    scope,
    send_test,
    subscribe,
    view,
)
from server.storage import Storage
from server.storage.hooks import Delivery
from server.web.deps import DelivererDep, StorageDep
from server.web.errors import API_EXCEPTION_HANDLERS, ERRORS, ApiProblem

Req = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="deliveries to list, at most")]


class AdminSubscription(NewSubscription, frozen=True, forbid_unknown_fields=True):
    """The admin's new subscription: of one forum (``forum_id``), or of every forum."""

    forum_id: str | None = None


class TestSent(msgspec.Struct, frozen=True):
    event_id: str  # the test event's idempotency key (``X-Scaleboard-Event-Id``)


def base_of(request: Req) -> str:
    return str(request.base_url).rstrip("/")


async def by_label(request: Req, forum_id: str | None) -> str:
    """Who makes a subscription, as its list shows it (a role, never a token)."""
    person = await who(request)
    if person.admin:
        return "Admin"
    role = person.role(forum_id) if forum_id else None
    return LABELS.get(role, "Facilitator") if role else "Facilitator"


async def _get(storage: Storage, sub_id: str, forum_id: str | None) -> Any:
    try:
        return await find(storage, sub_id, forum_id)
    except Refusal as r:
        raise ApiProblem(r.status, r.code, r.reason) from None


async def _make(
    request: Req, storage: Storage, forum_id: str | None, data: NewSubscription
) -> Response[SubscriptionView]:
    try:
        sub = await subscribe(
            storage,
            forum_id,
            data.url,
            data.format,
            data.kinds,
            await by_label(request, forum_id),
            base_of(request),
        )
    except Refusal as r:
        raise ApiProblem(r.status, r.code, r.reason) from None
    return Response(view(sub, with_secret=True), status_code=201)


class ForumHooksApi(Controller):
    """A facilitator's subscriptions, for their forum."""

    path = "/api/forums/{forum_id:str}/hooks"
    tags = ["webhooks"]
    exception_handlers = API_EXCEPTION_HANDLERS
    guards = [forum_guard("facilitator")]

    @get("", responses=ERRORS)
    async def list_hooks(self, storage: StorageDep, forum_id: str) -> list[SubscriptionView]:
        """The forum's subscriptions (never their secrets)."""
        if await storage.forums.forum(forum_id) is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return [view(s) for s in await scope(storage, forum_id)]

    @post("", responses=ERRORS, status_code=201)
    async def make(
        self, request: Req, storage: StorageDep, forum_id: str, data: NewSubscription
    ) -> Response[SubscriptionView]:
        """Subscribe a URL to event kinds of this forum. The answer holds the secret that
        signs its requests: it is shown this once."""
        if await storage.forums.forum(forum_id) is None:
            raise ApiProblem(404, "not_found", f"There is no forum {forum_id!r}.")
        return await _make(request, storage, forum_id, data)

    @get("/{sub_id:str}/deliveries", responses=ERRORS)
    async def deliveries(
        self, storage: StorageDep, forum_id: str, sub_id: str, limit: Limit = 50
    ) -> list[Delivery]:
        """The subscription's delivery log, newest first: status, attempts, last error."""
        return await log_of(storage, await _get(storage, sub_id, forum_id), limit)

    @post("/{sub_id:str}/test", responses=ERRORS, status_code=202)
    async def test(
        self, storage: StorageDep, deliverer: DelivererDep, forum_id: str, sub_id: str
    ) -> TestSent:
        """Send a test event to this subscription alone."""
        key = await send_test(storage, await _get(storage, sub_id, forum_id))
        deliverer.wake()
        return TestSent(key)

    @post("/{sub_id:str}/resume", responses=ERRORS, status_code=200)
    async def resume(
        self, storage: StorageDep, deliverer: DelivererDep, forum_id: str, sub_id: str
    ) -> SubscriptionView:
        """Resume a paused subscription: what waited is sent now."""
        sub = await _get(storage, sub_id, forum_id)
        await storage.hooks.resume(sub.id, time.time())
        deliverer.wake()
        return view(await _get(storage, sub_id, forum_id))

    @delete("/{sub_id:str}", responses=ERRORS, status_code=204)
    async def remove(self, storage: StorageDep, forum_id: str, sub_id: str) -> None:
        """Delete the subscription and its delivery log."""
        await storage.hooks.unsubscribe((await _get(storage, sub_id, forum_id)).id)


class AdminHooksApi(Controller):
    """The admin's subscriptions: of every forum, or of one."""

    path = "/api/hooks"
    tags = ["webhooks"]
    exception_handlers = API_EXCEPTION_HANDLERS
    guards = [admin_guard]

    @get("", responses=ERRORS)
    async def list_hooks(self, storage: StorageDep) -> list[SubscriptionView]:
        """Every subscription (never their secrets)."""
        return [view(s) for s in await storage.hooks.subscriptions()]

    @post("", responses=ERRORS, status_code=201)
    async def make(
        self, request: Req, storage: StorageDep, data: AdminSubscription
    ) -> Response[SubscriptionView]:
        """Subscribe a URL to event kinds of every forum (no ``forum_id``) or one. The
        answer holds the secret that signs its requests: it is shown this once."""
        if data.forum_id is not None and await storage.forums.forum(data.forum_id) is None:
            raise ApiProblem(400, "invalid", f"There is no forum {data.forum_id!r}.")
        return await _make(request, storage, data.forum_id, data)

    @get("/{sub_id:str}/deliveries", responses=ERRORS)
    async def deliveries(
        self, storage: StorageDep, sub_id: str, limit: Limit = 50
    ) -> list[Delivery]:
        """A subscription's delivery log, newest first: status, attempts, last error."""
        return await log_of(storage, await _get(storage, sub_id, None), limit)

    @post("/{sub_id:str}/test", responses=ERRORS, status_code=202)
    async def test(self, storage: StorageDep, deliverer: DelivererDep, sub_id: str) -> TestSent:
        """Send a test event to this subscription alone."""
        key = await send_test(storage, await _get(storage, sub_id, None))
        deliverer.wake()
        return TestSent(key)

    @post("/{sub_id:str}/resume", responses=ERRORS, status_code=200)
    async def resume(
        self, storage: StorageDep, deliverer: DelivererDep, sub_id: str
    ) -> SubscriptionView:
        """Resume a paused subscription: what waited is sent now."""
        sub = await _get(storage, sub_id, None)
        await storage.hooks.resume(sub.id, time.time())
        deliverer.wake()
        return view(await _get(storage, sub_id, None))

    @delete("/{sub_id:str}", responses=ERRORS, status_code=204)
    async def remove(self, storage: StorageDep, sub_id: str) -> None:
        """Delete the subscription and its delivery log."""
        await storage.hooks.unsubscribe((await _get(storage, sub_id, None)).id)


HOOKS_API: list[Any] = [ForumHooksApi, AdminHooksApi]
