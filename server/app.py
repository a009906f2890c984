"""The Litestar application: pages, JSON API, websocket, static files, lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Receive, Scope, Send

from server.access.links import gate
from server.access.refusals import Denied
from server.access.service import Access
from server.admin.routes import ADMIN_ROUTES
from server.cadence.calendar import follow_calendar, network_calendar
from server.cadence.sprint_routes import SPRINT_ROUTES
from server.cadence.team_routes import TEAM_METRICS_ROUTES
from server.config import SERVER_SEND, STATIC_DIR, TEMPLATES_DIR, Settings
from server.demo import seed_demo
from server.demo_metrics import seed_demo_metrics
from server.feeds.routes import FEED_ROUTES
from server.forums.api import API
from server.forums.pages import PAGES
from server.forums.projector import PROJECTOR_ROUTES
from server.forums.room import ROOM_ROUTES
from server.hooks.api import HOOKS_API
from server.hooks.pages import HOOK_PAGES
from server.hooks.worker import HookWorker
from server.imports.routes import IMPORT_ROUTES
from server.live.endpoint import live
from server.live.mail import Postman
from server.live.ownership import ForumElsewhere
from server.live.registry import Rooms
from server.metrics.routes import METRICS_ROUTES
from server.network.backlog_api import BACKLOG_API
from server.network.backlog_pairs import pair_backlogs
from server.network.escalation import catch_up
from server.network.parents import PARENT_ROUTES
from server.network.routes import NETWORK_ROUTES
from server.network.standards_routes import STANDARDS_ROUTES
from server.sessions.api import SESSION_API
from server.sessions.exports import EXPORT_ROUTES
from server.sessions.history import HISTORY_PAGES
from server.sessions.history_api import HISTORY_API
from server.sessions.my_steps import MY_PAGES
from server.sessions.replay import REPLAY_PAGES
from server.sessions.replay_api import REPLAY_API
from server.storage import open_storage, shown
from server.web.api_docs import render_plugins
from server.web.bodies import ScaleboardRequest
from server.web.deps import DEPENDENCIES, Services, install
from server.web.edge import edge
from server.web.errors import (
    ApiProblem,
    denied_handler,
    elsewhere_handler,
    internal_error_handler,
    not_allowed_handler,
    not_found_handler,
    problem_handler,
)
from server.web.render import Renderer
from server.web.static import StaticFiles

log = logging.getLogger("scaleboard")


def admin_link(settings: Settings, token: str) -> str:
    return f"http://{settings.host}:{settings.port}/admin/enter?token={token}"


def keep_server_send(app: ASGIApp) -> ASGIApp:
    """Put the server's own ASGI ``send`` of a websocket in its scope, before any
    middleware wraps it: the live fan-out writes through it (see ``server/live/transport.py``)."""

    # A coroutine function, unlike the wrappers inside it: uvicorn tells ASGI 3 from
    # ASGI 2 by that (``interface="auto"``).
    async def outermost(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send  # type: ignore[literal-required]
        await app(scope, receive, send)

    return outermost


def asgi(app: Litestar, process: str | None = None) -> ASGIApp:
    """What the server runs: the app inside the edge (``server/web/edge.py``: link tokens
    out of every URL, security headers on every response, routed or not; ``process``
    named on every answer), inside ``keep_server_send``, which must see the server's own
    ``send`` first."""
    return keep_server_send(edge(app, process))


def create_app(settings: Settings) -> Litestar:
    """Build the app; the store opens, and the demo is seeded, at startup."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        storage = await open_storage(settings.db)
        renderer = Renderer(TEMPLATES_DIR, sprint_days=settings.sprint_days)
        rooms = Rooms(storage.log, settings, renderer)
        mail = Postman(storage.mail, rooms, settings)  # ops between forums (SPEC R18a)
        mail.hear(storage.signals)  # mail for a forum live on another process: NOTIFY it
        deliverer = HookWorker(  # outgoing webhooks, in a process of their own (SPEC R62)
            str(settings.db),
            public_url=settings.public_url,
            retry_seconds=settings.hook_retry_seconds,
            timeout=settings.hook_timeout,
        )
        catching_up: asyncio.Task[int] | None = None
        pairing: asyncio.Task[int] | None = None  # one Scaled Backlog (SPEC R57)
        following_admin: asyncio.Task[None] | None = None  # closes its sockets on a new token
        try:
            if settings.demo and await storage.forums.is_new():
                await seed_demo(storage.forums)
                await seed_demo_metrics(storage.cadence, settings.sprint_days)
                log.info("created the demo network in %s", shown(settings.db))
            teams = await storage.forums.teams()
            renderer.set_teams(teams)
            renderer.set_calendar(await network_calendar(storage, settings.sprint_days))
            follow_calendar(storage, renderer)  # set on another process: heard (SPEC R69)
            rooms.team_ids = frozenset(t.id for t in teams)
            secret = await storage.forums.secret()
            access = Access(storage.access, secret, storage.signals)
            # Listening before the tokens are cached: a rotation elsewhere meanwhile is
            # either in what is read or heard after.
            await storage.signals.start()
            made = await access.start(settings.admin_token)
            services = Services(
                storage=storage,
                rooms=rooms,
                mail=mail,
                renderer=renderer,
                access=access,
                settings=settings,
                secret=secret,
                deliverer=deliverer,
            )
            install(app, services)
            if made is not None:
                # Printed once, to the console of whoever started the server; only its
                # hash is stored. ``scaleboard admin-link`` makes a new one.
                print(
                    f"Admin: {admin_link(settings, made)}\n"
                    "  Open this link first: it lists every forum and its links to share."
                    "\n  It is shown once; `scaleboard admin-link` makes a new one.",
                    flush=True,
                )
            # Everything made so far (the app, routes, templates, the schema) lives as
            # long as the process. Freezing it keeps the collector from re-scanning it
            # in every full collection, and fewer young collections mean fewer full
            # ones: measured, full-collection pauses of 50-180 ms in the middle of a
            # fan-out dropped to rare ones (docs/performance.md).
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 20, 10)
            mail.start()  # delivers what a crash left waiting, then sweeps
            await deliverer.start()  # sends the outbox's webhooks, what a crash left first
            catching_up = asyncio.create_task(catch_up(storage, rooms), name="escalation-catch-up")
            pairing = asyncio.create_task(pair_backlogs(storage, rooms), name="backlog-pairs")
            following_admin = asyncio.create_task(access.follow_admin(), name="admin-token")
            yield
        finally:
            await deliverer.stop()  # first: nothing is sent once the rooms stop
            if following_admin is not None:
                following_admin.cancel()
                await asyncio.gather(following_admin, return_exceptions=True)
            for task in (catching_up, pairing):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            await mail.stop()
            await rooms.close()
            await storage.close()

    return Litestar(
        route_handlers=[
            *PAGES,
            *API,
            *BACKLOG_API,
            *SESSION_API,
            *HISTORY_PAGES,
            *MY_PAGES,
            *HISTORY_API,
            *REPLAY_PAGES,
            *REPLAY_API,
            *EXPORT_ROUTES,
            *ADMIN_ROUTES,
            *HOOK_PAGES,
            *HOOKS_API,
            *METRICS_ROUTES,
            *NETWORK_ROUTES,
            *STANDARDS_ROUTES,
            *PARENT_ROUTES,
            *PROJECTOR_ROUTES,
            *ROOM_ROUTES,
            *IMPORT_ROUTES,
            *FEED_ROUTES,
            *SPRINT_ROUTES,
            *TEAM_METRICS_ROUTES,
            live,
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                file_system=StaticFiles(),
                include_in_schema=False,
            ),
        ],
        lifespan=[lifespan],
        dependencies=DEPENDENCIES,
        state=State({"settings": settings}),  # ``server/live/endpoint.py`` reads it
        middleware=[gate],  # the edge around the whole app: ``asgi``
        request_class=ScaleboardRequest,  # too deeply nested JSON: 400
        exception_handlers={
            ApiProblem: problem_handler,  # type: ignore[dict-item]
            Denied: denied_handler,  # type: ignore[dict-item]
            NotFoundException: not_found_handler,  # type: ignore[dict-item]
            MethodNotAllowedException: not_allowed_handler,  # type: ignore[dict-item]
            ForumElsewhere: elsewhere_handler,  # another process kept the forum: 503
            500: internal_error_handler,  # anything else: logged, a plain 500
        },
        openapi_config=OpenAPIConfig(
            title="Scaleboard",
            version="1.0.0",
            description=(
                "Live boards for the forums of a Scrum@Scale network. Send a forum's "
                "token (from one of its links) or the admin token as "
                "`Authorization: Bearer <token>`; see docs/access.md."
            ),
            path="/schema",
            render_plugins=render_plugins(),  # served from /static: no CDN (web/api_docs.py)
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="A forum's role token or the admin token.",
                    )
                }
            ),
            security=[{"bearer": []}],
        ),
        request_max_body_size=256 * 1024,
        debug=False,
    )


def app_from_env() -> Any:
    """For ``uvicorn server.app:app_from_env --factory`` with defaults."""
    return asgi(create_app(Settings()))
