"""The PostgreSQL schema, made and migrated by the app when it opens the store.

``MIGRATIONS`` is a list of steps; step ``n`` takes the schema from version ``n - 1`` to
``n`` and the table ``schema_version`` records every step applied (version, when). On
open, ``migrate`` takes a transaction-scoped advisory lock (so two processes opening at
once take turns), reads the version and applies the steps above it in the same
transaction: a new database and an old one both come up at ``VERSION``, and a failed
step leaves the schema as it was. A database newer than this code is refused.

The tables are SQLite's (``server/storage/sqlite/schema.py``) in PostgreSQL's types:
times are ``double precision`` (Unix seconds), seqs ``bigint``, encoded ops and boards
``bytea``, dates ISO ``text``. ``decisions`` and ``next_steps`` have a ``pos`` that
stands for SQLite's rowid (the order of rows written at the same moment).
"""

from __future__ import annotations

import time
from typing import Final

import asyncpg

from server.storage.records import StoreError

LOCK_KEY: Final = 0x5CA1EB0A  # pg_advisory_xact_lock key of Scaleboard's migrations

_V1: Final = """
CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE teams(
    id text PRIMARY KEY, name text NOT NULL, colour text NOT NULL,
    position integer NOT NULL DEFAULT 0);
CREATE TABLE forums(
    id text PRIMARY KEY, kind text NOT NULL, name text NOT NULL,
    created_at double precision NOT NULL, updated_at double precision NOT NULL,
    seq bigint NOT NULL DEFAULT 0, live_cards integer NOT NULL DEFAULT 0,
    session_id text);
CREATE TABLE ops(
    forum_id text NOT NULL, seq bigint NOT NULL, op_id text, actor text NOT NULL,
    at double precision NOT NULL, op bytea NOT NULL,
    PRIMARY KEY(forum_id, seq));
CREATE TABLE snapshots(
    forum_id text NOT NULL, seq bigint NOT NULL, board bytea NOT NULL,
    PRIMARY KEY(forum_id, seq));
CREATE TABLE sessions(
    id text PRIMARY KEY, forum_id text NOT NULL, number integer NOT NULL,
    started_at double precision NOT NULL, started_by text NOT NULL, start_seq bigint NOT NULL,
    ended_at double precision, ended_by text, end_seq bigint,
    participants text NOT NULL DEFAULT '[]',
    decisions integer NOT NULL DEFAULT 0, next_steps integer NOT NULL DEFAULT 0,
    board bytea);
CREATE INDEX sessions_by_forum ON sessions(forum_id, number);
CREATE TABLE decisions(
    forum_id text NOT NULL, id text NOT NULL, session_id text NOT NULL,
    text text NOT NULL, at double precision NOT NULL, by text NOT NULL, card_ids text NOT NULL,
    pos bigserial NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX decisions_by_session ON decisions(session_id);
CREATE TABLE next_steps(
    forum_id text NOT NULL, id text NOT NULL, session_id text NOT NULL,
    text text NOT NULL, owner text NOT NULL, due text, status text NOT NULL,
    created_at double precision NOT NULL, created_by text NOT NULL,
    updated_at double precision NOT NULL, updated_by text NOT NULL, card_ids text NOT NULL,
    pos bigserial NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX next_steps_by_session ON next_steps(session_id);
CREATE TABLE forum_tokens(
    forum_id text NOT NULL, role text NOT NULL, token text NOT NULL,
    created_at double precision NOT NULL,
    PRIMARY KEY(forum_id, role));
CREATE UNIQUE INDEX forum_tokens_by_token ON forum_tokens(token);
CREATE TABLE forum_links(
    forum_id text NOT NULL, relation text NOT NULL, target_id text NOT NULL,
    PRIMARY KEY(forum_id, relation));
-- Which teams a Scrum of Scrums serves (many per forum, so not in forum_links).
CREATE TABLE forum_teams(
    forum_id text NOT NULL, team_id text NOT NULL, PRIMARY KEY(forum_id, team_id));
"""

# One writer per forum (docs/scale-out.md#one-writer-per-forum): who owns the forum's
# room, its owner epoch (one more at every claim; the fence every write checks), until
# when (database time, Unix seconds), and since when another process asks for it.
_V2: Final = """
ALTER TABLE forums
    ADD COLUMN owner text,
    ADD COLUMN owner_epoch bigint NOT NULL DEFAULT 0,
    ADD COLUMN lease_until double precision NOT NULL DEFAULT 0,
    ADD COLUMN handover double precision;
"""

# Mail: ops for another forum, written with the op that sent them and settled when
# applied there (``delivered``) or not (SPEC R18a); the partial index holds only what
# is still to deliver, so the sweep's query stays tiny.
_V3: Final = """
CREATE TABLE mail(
    id bigserial PRIMARY KEY, to_forum text NOT NULL, from_forum text NOT NULL,
    op bytea NOT NULL, actor text NOT NULL, made double precision NOT NULL,
    settled double precision, outcome text);
CREATE INDEX mail_pending ON mail(to_forum, id) WHERE settled IS NULL;
"""

# How many people are in a forum's live room, as its owner last renewed the lease: any
# process can show it (docs/scale-out.md#signals).
_PRESENT: Final = """
ALTER TABLE forums ADD COLUMN present integer NOT NULL DEFAULT 0;
"""

# The person key of each logged op (SPEC R40): '' for ops logged before it, whose
# person is their display name.
_OPS_BY_PERSON: Final = """
ALTER TABLE ops ADD COLUMN by_person text NOT NULL DEFAULT '';
"""

# Outgoing webhooks (SPEC R60-R64): the outbox of events (written with their op), the
# subscriptions (``kinds`` as ",a,b,"; ``forum_id`` NULL: every forum, the admin's),
# and one delivery per event and subscription; the partial index holds what is due.
_HOOKS: Final = """
CREATE TABLE events(
    key text PRIMARY KEY, kind text NOT NULL, forum_id text NOT NULL,
    at double precision NOT NULL, body bytea NOT NULL);
CREATE INDEX events_by_forum ON events(forum_id, at);
CREATE TABLE hook_subscriptions(
    id text PRIMARY KEY, forum_id text, url text NOT NULL, format text NOT NULL,
    kinds text NOT NULL, secret text NOT NULL, created_at double precision NOT NULL,
    created_by text NOT NULL, base_url text NOT NULL, paused integer NOT NULL DEFAULT 0,
    failures integer NOT NULL DEFAULT 0);
CREATE TABLE hook_deliveries(
    sub_id text NOT NULL, event_key text NOT NULL, status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0, next_at double precision NOT NULL,
    lease_until double precision NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '',
    last_status integer, created_at double precision NOT NULL,
    delivered_at double precision,
    PRIMARY KEY(sub_id, event_key));
CREATE INDEX hook_due ON hook_deliveries(next_at) WHERE status = 'pending';
"""

# Calendar feeds (server/storage/feeds.py): a forum's or a person's, the SHA-256 of its
# URL's token (never the token), the generation it was made from (rotation: +1); a
# person's owner name and access grants (link fingerprints, as their cookie holds them).
_FEEDS: Final = """
CREATE TABLE feeds(
    scope text NOT NULL, subject text NOT NULL, generation integer NOT NULL,
    token_hash text NOT NULL, created_at double precision NOT NULL,
    owner text NOT NULL DEFAULT '', grants text NOT NULL DEFAULT '[]',
    admin_mark text NOT NULL DEFAULT '',
    PRIMARY KEY(scope, subject));
CREATE UNIQUE INDEX feeds_by_hash ON feeds(token_hash);
"""

# The sprint calendar (one row, id 1) and the guide's metrics per team per sprint
# (server/storage/cadence.py, SPEC R69, R71).
_CADENCE: Final = """
CREATE TABLE sprint_settings(
    id integer PRIMARY KEY CHECK (id = 1), days integer NOT NULL, start text NOT NULL,
    updated_at double precision NOT NULL, updated_by text NOT NULL);
CREATE TABLE team_metrics(
    team_id text NOT NULL, sprint integer NOT NULL, happiness integer NOT NULL,
    productivity double precision, productivity_unit text NOT NULL DEFAULT '',
    value double precision, value_unit text NOT NULL DEFAULT '',
    quality double precision, quality_unit text NOT NULL DEFAULT '',
    forum_id text NOT NULL, recorded_by text NOT NULL, recorded_at double precision NOT NULL,
    PRIMARY KEY(team_id, sprint));
"""

MIGRATIONS: Final[tuple[str, ...]] = (
    _V1,
    _V2,
    _V3,
    _PRESENT,
    _OPS_BY_PERSON,
    _HOOKS,  # step 6
    _FEEDS,  # step 7
    _CADENCE,  # step 8
)
"""Step ``i`` (0-based) takes the schema to version ``i + 1``. Only ever append."""
VERSION: Final = len(MIGRATIONS)


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the schema of ``conn``'s database (its ``search_path``) to ``VERSION``;
    returns the version it was at. ``StoreError`` for a schema newer than this code."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version("
            "version integer PRIMARY KEY, applied_at double precision NOT NULL)"
        )
        found = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        if found > VERSION:
            raise StoreError(
                f"the database's schema is version {found}, newer than this Scaleboard's "
                f"({VERSION}): upgrade Scaleboard"
            )
        for version in range(found + 1, VERSION + 1):
            await conn.execute(MIGRATIONS[version - 1])
            await conn.execute(
                "INSERT INTO schema_version(version, applied_at) VALUES ($1, $2)",
                version,
                time.time(),
            )
        return int(found)
