"""``Denied``: a request or connection that may not do what it asked, and the reasons
people read (a JSON problem under ``/api``, an error page elsewhere).

Whoever has no role on a forum gets ``NO_ACCESS`` for it and for its sessions, whether
they exist or not: the answer never tells an existing id from an unknown one
(``server.access.guards.no_access``, docs/access.md)."""

from __future__ import annotations

from typing import Final

from board.access import Role

NO_LINK: Final = "You have no access to this forum: ask its facilitator for a link."
NO_ACCESS: Final = "Not found, or you have no access to it: ask its facilitator for a link."
NO_ACCESS_TITLE: Final = "No access or not found"
BAD_TOKEN: Final = "This token is not valid (it may have been replaced): ask for a new link."


class Denied(Exception):
    """A request or connection that may not do what it asked (401: who are you? 403:
    not with this role; 404 is left to the routes)."""

    def __init__(self, status: int, code: str, reason: str, title: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.title = title  # the error page's title ("": the code's)

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="scaleboard"'} if self.status == 401 else {}


def need(floor: Role) -> str:
    """Why someone without ``floor`` on a forum is refused."""
    if floor == "viewer":
        return NO_LINK
    if floor == "participant":
        return "This needs a participant link to the forum: ask its facilitator for one."
    return "Only a facilitator of this forum may do this."
