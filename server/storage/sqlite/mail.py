"""The SQLite side of ``server.storage.mail.MailBox``: mail still to deliver, read
through the partial index ``mail_pending``; settling is shared (``MailWrites``)."""

from __future__ import annotations

import time
from typing import Final

from server.storage.mail import COLUMNS, MailRow, MailWrites, Waiting, mail_row
from server.storage.sqlite.engine import Engine

# The forums with mail to deliver (the index's distinct keys), each with its owner while
# that owner's lease runs (the machine's clock, as ``owners.py`` uses it).
WAITING: Final = (
    "SELECT m.to_forum, CASE WHEN f.lease_until >= ? THEN f.owner END "
    "FROM (SELECT DISTINCT to_forum FROM mail WHERE settled IS NULL) AS m "
    "LEFT JOIN forums AS f ON f.id = m.to_forum ORDER BY m.to_forum"
)


class SqliteMail(MailWrites):
    """``MailBox`` on one SQLite file."""

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)

    async def pending(self, forum_id: str, limit: int = 200) -> list[MailRow]:
        rows = await self.engine.fetch(
            f"SELECT {COLUMNS} FROM mail WHERE to_forum=? AND settled IS NULL ORDER BY id LIMIT ?",
            (forum_id, limit),
        )
        return [mail_row(r) for r in rows]

    async def waiting(self) -> list[Waiting]:
        rows = await self.engine.fetch(WAITING, (time.time(),))
        return [Waiting(forum_id=r[0], owner=r[1]) for r in rows]

    async def get(self, mail_id: int) -> MailRow | None:
        rows = await self.engine.fetch(f"SELECT {COLUMNS} FROM mail WHERE id=?", (mail_id,))
        return mail_row(rows[0]) if rows else None
