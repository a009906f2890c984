"""Who a request or connection is (``Who``: its roles, and which link gives each) and a
live connection a rotation must cut off (``Watch``); worked out by ``service.Access``."""

from __future__ import annotations

from collections.abc import Callable

from board.access import LinkKind, Role
from server.access.passes import Pass


class Who:
    """The roles of one request or connection, worked out from its credentials."""

    __slots__ = ("admin", "bearer", "held", "roles", "via")

    def __init__(
        self,
        *,
        admin: bool = False,
        roles: dict[str, Role] | None = None,
        bearer: bool = False,
        held: Pass | None = None,
        via: dict[str, LinkKind] | None = None,
    ) -> None:
        self.admin = admin
        self.roles = roles or {}
        # Which link gives each role, where it is not the role's own (the room link's
        # participants, SPEC R46): its rotation is what ends that role.
        self.via = via or {}
        self.bearer = bearer  # by an Authorization header: no cookie, so no CSRF risk
        self.held = held or Pass()  # the cookie as it came (to add a grant to)

    def role(self, forum_id: str) -> Role | None:
        """The role on ``forum_id``: the admin facilitates every forum."""
        return "facilitator" if self.admin else self.roles.get(forum_id)

    @property
    def anonymous(self) -> bool:
        return not self.admin and not self.roles

    def visible(self) -> frozenset[str] | None:
        """The forums this person may see (``None``: every forum, for the admin)."""
        return None if self.admin else frozenset(self.roles)

    def sees(self, forum_id: str) -> bool:
        return self.admin or forum_id in self.roles

    def link(self, forum_id: str) -> LinkKind | None:
        """The kind of link the role on ``forum_id`` came from (``None``: no role)."""
        role = self.roles.get(forum_id)
        return None if role is None else self.via.get(forum_id, role)


class Watch:
    """A live connection that holds a role through a forum link of kind ``kind`` (see
    ``Access.rotate``), or, ``admin``, through the admin token (``Access.follow_admin``)."""

    __slots__ = ("admin", "forum_id", "kind", "revoke")

    def __init__(
        self, forum_id: str, kind: LinkKind, revoke: Callable[[], None], *, admin: bool = False
    ) -> None:
        self.forum_id = forum_id
        self.kind = kind
        self.revoke = revoke
        self.admin = admin
