"""The app's services, made once at startup, and how handlers get them.

Handlers name what they need as parameters (``storage: StorageDep``, ``rooms:
RoomsDep`` …) and Litestar injects it (``DEPENDENCIES``, registered by ``server.app``).
Guards, middleware and exception handlers run where injection does not reach: they
call ``services_of(app)``. This module is the only one that reads the app's state.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from server.access.service import Access
from server.config import Settings
from server.hooks.worker import HookWorker
from server.live.mail import Postman
from server.live.registry import Rooms
from server.metrics.histories import Histories
from server.network.queries import Counts
from server.sessions.timelines import Timelines
from server.storage import Storage
from server.web.render import Renderer

KEY: Final = "services"


class Services:
    """Everything a request may need, made at startup (``server.app``'s lifespan)."""

    __slots__ = (
        "access",
        "counts",
        "deliverer",
        "histories",
        "mail",
        "renderer",
        "rooms",
        "secret",
        "settings",
        "storage",
        "timelines",
    )

    def __init__(
        self,
        *,
        storage: Storage,
        rooms: Rooms,
        mail: Postman,
        renderer: Renderer,
        access: Access,
        settings: Settings,
        secret: str,
        deliverer: HookWorker,
    ) -> None:
        self.storage = storage
        self.rooms = rooms
        self.mail = mail  # delivers ops between forums (``deliver_pending``, ``notify``)
        self.renderer = renderer
        self.access = access
        self.settings = settings
        self.secret = secret
        self.deliverer = deliverer  # sends the outbox's webhooks (``wake`` after a test)
        self.histories = Histories(storage)  # metrics: replayed histories
        self.counts = Counts(storage)  # network page: open impediments of stored boards
        self.timelines = Timelines(storage, rooms)  # replay: built timelines


def install(app: Litestar, services: Services) -> None:
    """Make ``services`` the app's (at startup)."""
    app.state[KEY] = services


def services_of(app: Litestar) -> Services:
    """The app's services, for guards, middleware and exception handlers."""
    found = app.state[KEY]
    assert isinstance(found, Services)
    return found


def _of(state: State) -> Services:
    found = state[KEY]
    assert isinstance(found, Services)
    return found


StorageDep = NamedDependency[SkipValidation[Storage]]
RoomsDep = NamedDependency[SkipValidation[Rooms]]
MailDep = NamedDependency[SkipValidation[Postman]]
RendererDep = NamedDependency[SkipValidation[Renderer]]
AccessDep = NamedDependency[SkipValidation[Access]]
SettingsDep = NamedDependency[SkipValidation[Settings]]
SecretDep = NamedDependency[SkipValidation[str]]
HistoriesDep = NamedDependency[SkipValidation[Histories]]
CountsDep = NamedDependency[SkipValidation[Counts]]
TimelinesDep = NamedDependency[SkipValidation[Timelines]]
DelivererDep = NamedDependency[SkipValidation[HookWorker]]


def _provide(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(_of(state), name)

    provide.__name__ = f"provide_{name}"
    return Provide(provide, sync_to_thread=False, use_cache=False)


DEPENDENCIES: Final = {name: _provide(name) for name in Services.__slots__}
"""The app-level dependencies, one per service, by the name handlers use."""
