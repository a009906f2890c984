"""Importing a session export as a new forum.

An import checks the file completely (``board.export.check_import``) before it writes
anything, then storage writes the new forum in ONE transaction (``ForumDirectory.create``
with the replayed history): the forum, a snapshot of the start board, every op, the
review rows the live rooms would have written, a snapshot of the end board and the
forum's summary. A failure therefore leaves nothing half-imported.
"""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec

from board.export import check_import, verify
from board.export import with_forum_id as rename_forum_id
from server.forums import service
from server.storage.forums import ForumDirectory

log = logging.getLogger("scaleboard.exports")


class ImportResult(msgspec.Struct, frozen=True):
    """Where an imported session now lives (``remapped``: its forum id was taken)."""

    forum_id: str
    session_id: str
    remapped: bool


async def import_session(forums: ForumDirectory, data: bytes) -> ImportResult:
    """Check an export and write it as a new forum; ``ImportProblem`` if it is unsound."""
    export = await asyncio.to_thread(check_import, data)
    forum_id = await service.claim_forum_id(forums, export.forum.name, export.forum.id)
    try:
        moved = rename_forum_id(export, forum_id)
        accepted = await asyncio.to_thread(verify, moved)
        # What a live room would have written, the later state of the next steps, and a
        # snapshot of the end board: one transaction.
        await forums.create(
            moved.start_board, time.time(), history=accepted, steps=moved.next_steps
        )
    finally:
        service.release_forum_id(forum_id)
    log.info("imported session %s as forum %s", export.session.id, forum_id)
    return ImportResult(
        forum_id=forum_id, session_id=moved.session.id, remapped=forum_id != export.forum.id
    )
