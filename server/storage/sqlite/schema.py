"""The SQLite schema: the op log and snapshots, the directory (forums, teams, links,
tokens, meta) and the review tables the log is projected into. Made on open
(``CREATE ... IF NOT EXISTS``), so a new file and an old one both come up ready."""

from __future__ import annotations

from typing import Final

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, colour TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS forums(
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0, live_cards INTEGER NOT NULL DEFAULT 0,
    session_id TEXT);
CREATE TABLE IF NOT EXISTS ops(
    forum_id TEXT NOT NULL, seq INTEGER NOT NULL, op_id TEXT, actor TEXT NOT NULL,
    at REAL NOT NULL, op BLOB NOT NULL, by_person TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(forum_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots(
    forum_id TEXT NOT NULL, seq INTEGER NOT NULL, board BLOB NOT NULL,
    PRIMARY KEY(forum_id, seq));
CREATE TABLE IF NOT EXISTS sessions(
    id TEXT PRIMARY KEY, forum_id TEXT NOT NULL, number INTEGER NOT NULL,
    started_at REAL NOT NULL, started_by TEXT NOT NULL, start_seq INTEGER NOT NULL,
    ended_at REAL, ended_by TEXT, end_seq INTEGER,
    participants TEXT NOT NULL DEFAULT '[]',
    decisions INTEGER NOT NULL DEFAULT 0, next_steps INTEGER NOT NULL DEFAULT 0,
    board BLOB);
CREATE INDEX IF NOT EXISTS sessions_by_forum ON sessions(forum_id, number);
CREATE TABLE IF NOT EXISTS decisions(
    forum_id TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT NOT NULL,
    text TEXT NOT NULL, at REAL NOT NULL, by TEXT NOT NULL, card_ids TEXT NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX IF NOT EXISTS decisions_by_session ON decisions(session_id);
CREATE TABLE IF NOT EXISTS next_steps(
    forum_id TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT NOT NULL,
    text TEXT NOT NULL, owner TEXT NOT NULL, due TEXT, status TEXT NOT NULL,
    created_at REAL NOT NULL, created_by TEXT NOT NULL,
    updated_at REAL NOT NULL, updated_by TEXT NOT NULL, card_ids TEXT NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX IF NOT EXISTS next_steps_by_session ON next_steps(session_id);
CREATE TABLE IF NOT EXISTS forum_tokens(
    forum_id TEXT NOT NULL, role TEXT NOT NULL, token TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY(forum_id, role));
CREATE UNIQUE INDEX IF NOT EXISTS forum_tokens_by_token ON forum_tokens(token);
CREATE TABLE IF NOT EXISTS forum_links(
    forum_id TEXT NOT NULL, relation TEXT NOT NULL, target_id TEXT NOT NULL,
    PRIMARY KEY(forum_id, relation));
-- Which teams a Scrum of Scrums serves (many per forum, so not in forum_links, which
-- holds one target per relation): SqliteForums.served.
CREATE TABLE IF NOT EXISTS forum_teams(
    forum_id TEXT NOT NULL, team_id TEXT NOT NULL, PRIMARY KEY(forum_id, team_id));
-- Mail: ops for another forum, written with the op that sent them and settled when
-- applied there (``delivered``) or not (SPEC R18a). Ids only grow (no row is deleted),
-- and the index holds only what is still to deliver: the sweep's query stays tiny.
CREATE TABLE IF NOT EXISTS mail(
    id INTEGER PRIMARY KEY, to_forum TEXT NOT NULL, from_forum TEXT NOT NULL,
    op BLOB NOT NULL, actor TEXT NOT NULL, made REAL NOT NULL,
    settled REAL, outcome TEXT);
CREATE INDEX IF NOT EXISTS mail_pending ON mail(to_forum, id) WHERE settled IS NULL;
-- Calendar feeds (server/storage/feeds.py): a forum's or a person's, the SHA-256 of its
-- URL's token (never the token), the generation it was made from (rotation: +1); a
-- person's owner name and access grants (link fingerprints, as their cookie holds them).
CREATE TABLE IF NOT EXISTS feeds(
    scope TEXT NOT NULL, subject TEXT NOT NULL, generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL, created_at REAL NOT NULL, owner TEXT NOT NULL DEFAULT '',
    grants TEXT NOT NULL DEFAULT '[]', admin_mark TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(scope, subject));
CREATE UNIQUE INDEX IF NOT EXISTS feeds_by_hash ON feeds(token_hash);
-- The sprint calendar (one row, id 1) and the guide's metrics per team per sprint
-- (server/storage/cadence.py, SPEC R69, R71).
CREATE TABLE IF NOT EXISTS sprint_settings(
    id INTEGER PRIMARY KEY CHECK (id = 1), days INTEGER NOT NULL, start TEXT NOT NULL,
    updated_at REAL NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS team_metrics(
    team_id TEXT NOT NULL, sprint INTEGER NOT NULL, happiness INTEGER NOT NULL,
    productivity REAL, productivity_unit TEXT NOT NULL DEFAULT '', value REAL,
    value_unit TEXT NOT NULL DEFAULT '', quality REAL, quality_unit TEXT NOT NULL DEFAULT '',
    forum_id TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at REAL NOT NULL,
    PRIMARY KEY(team_id, sprint));
-- Outgoing webhooks (SPEC R60-R64): the outbox of events (written with their op), the
-- subscriptions (``kinds`` as ",a,b,"; ``forum_id`` NULL: every forum, the admin's),
-- and one delivery per event and subscription; the partial index holds what is due.
CREATE TABLE IF NOT EXISTS events(
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, forum_id TEXT NOT NULL, at REAL NOT NULL,
    body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_forum ON events(forum_id, at);
CREATE TABLE IF NOT EXISTS hook_subscriptions(
    id TEXT PRIMARY KEY, forum_id TEXT, url TEXT NOT NULL, format TEXT NOT NULL,
    kinds TEXT NOT NULL, secret TEXT NOT NULL, created_at REAL NOT NULL,
    created_by TEXT NOT NULL, base_url TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS hook_deliveries(
    sub_id TEXT NOT NULL, event_key TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    last_status INTEGER, created_at REAL NOT NULL, delivered_at REAL,
    PRIMARY KEY(sub_id, event_key));
CREATE INDEX IF NOT EXISTS hook_due ON hook_deliveries(next_at) WHERE status='pending';
"""

# One writer per forum (docs/scale-out.md#one-writer-per-forum), added to ``forums``
# of new and older files alike (``missing_columns``): who owns the forum's room, its
# owner epoch (the fence every write checks), until when (Unix seconds), and since
# when another process asks for it.
OWNER_COLUMNS: Final = {
    "owner": "TEXT",
    "owner_epoch": "INTEGER NOT NULL DEFAULT 0",
    "lease_until": "REAL NOT NULL DEFAULT 0",
    "handover": "REAL",
    "present": "INTEGER NOT NULL DEFAULT 0",  # people in its room, at the last renewal
}


# The person key of each logged op (SPEC R40; '' in logs written before it).
OPS_COLUMNS: Final = {"by_person": "TEXT NOT NULL DEFAULT ''"}


def missing_columns(present: set[str], table: str = "forums") -> list[str]:
    """The ``ALTER TABLE`` statements that give ``table`` (``forums``: its ownership
    columns; ``ops``: its person column) what an older file lacks."""
    wanted = OWNER_COLUMNS if table == "forums" else OPS_COLUMNS
    return [
        f"ALTER TABLE {table} ADD COLUMN {name} {kind}"
        for name, kind in wanted.items()
        if name not in present
    ]


INSERT_OP: Final = (
    "INSERT INTO ops(forum_id, seq, op_id, actor, at, op, by_person) VALUES (?,?,?,?,?,?,?)"
)
