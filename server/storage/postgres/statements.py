"""The PostgreSQL statement of each ``server.storage.stmt.Stmt`` (SQLite's, translated:
``$n`` parameters, ``ON CONFLICT`` for ``INSERT OR REPLACE`` and ``INSERT OR IGNORE``).

A replace sets every column the SQLite ``REPLACE`` would have reset (a session
started again has no end yet), and ``pos = DEFAULT`` gives a replaced decision or
step a new place, as a new rowid does in SQLite.
"""

from __future__ import annotations

from typing import Final

from server.storage.stmt import Stmt

SQL: Final[dict[Stmt, str]] = {
    Stmt.OP: (
        "INSERT INTO ops(forum_id, seq, op_id, actor, at, op, by_person) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ),
    Stmt.SNAPSHOT: "INSERT INTO snapshots(forum_id, seq, board) VALUES ($1,$2,$3) "
    "ON CONFLICT (forum_id, seq) DO UPDATE SET board = EXCLUDED.board",
    Stmt.FORUM_NEW: "INSERT INTO forums(id, kind, name, created_at, updated_at, seq) "
    "VALUES ($1,$2,$3,$4,$5,$6)",
    Stmt.FORUM_SUMMARY: "UPDATE forums SET name=$1, seq=$2, updated_at=$3, live_cards=$4, "
    "session_id=$5 WHERE id=$6",
    Stmt.TOKEN_NEW: "INSERT INTO forum_tokens(forum_id, role, token, created_at) "
    "VALUES ($1,$2,$3,$4)",
    Stmt.TOKEN_KEEP: "INSERT INTO forum_tokens(forum_id, role, token, created_at) "
    "VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING",
    Stmt.TOKEN_REPLACE: "UPDATE forum_tokens SET token=$1, created_at=$2 "
    "WHERE forum_id=$3 AND role=$4",
    Stmt.LINK_SET: "INSERT INTO forum_links(forum_id, relation, target_id) VALUES ($1,$2,$3) "
    "ON CONFLICT (forum_id, relation) DO UPDATE SET target_id = EXCLUDED.target_id",
    Stmt.LINK_CLEAR: "DELETE FROM forum_links WHERE forum_id=$1 AND relation=$2",
    Stmt.TEAM: "INSERT INTO teams(id, name, colour, position) VALUES ($1,$2,$3,$4) "
    "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, colour = EXCLUDED.colour, "
    "position = EXCLUDED.position",
    Stmt.SERVES_CLEAR: "DELETE FROM forum_teams WHERE forum_id=$1",
    Stmt.SERVES_ADD: "INSERT INTO forum_teams(forum_id, team_id) VALUES ($1,$2) "
    "ON CONFLICT DO NOTHING",
    Stmt.META_SET: "INSERT INTO meta(key, value) VALUES ($1,$2) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    Stmt.FEED_SET: "INSERT INTO feeds(scope, subject, generation, token_hash, created_at, "
    "owner, grants, admin_mark) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
    "ON CONFLICT (scope, subject) DO UPDATE SET generation=EXCLUDED.generation, "
    "token_hash=EXCLUDED.token_hash, created_at=EXCLUDED.created_at, owner=EXCLUDED.owner, "
    "grants=EXCLUDED.grants, admin_mark=EXCLUDED.admin_mark",
    Stmt.META_KEEP: "INSERT INTO meta(key, value) VALUES ($1,$2) ON CONFLICT DO NOTHING",
    Stmt.SPRINTS_SET: "INSERT INTO sprint_settings(id, days, start, updated_at, updated_by) "
    "VALUES (1,$1,$2,$3,$4) ON CONFLICT (id) DO UPDATE SET days=EXCLUDED.days, "
    "start=EXCLUDED.start, updated_at=EXCLUDED.updated_at, updated_by=EXCLUDED.updated_by",
    Stmt.TEAM_METRICS_SET: "INSERT INTO team_metrics(team_id, sprint, happiness, productivity, "
    "productivity_unit, value, value_unit, quality, quality_unit, forum_id, recorded_by, "
    "recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
    "ON CONFLICT (team_id, sprint) DO UPDATE SET happiness=EXCLUDED.happiness, "
    "productivity=EXCLUDED.productivity, productivity_unit=EXCLUDED.productivity_unit, "
    "value=EXCLUDED.value, value_unit=EXCLUDED.value_unit, quality=EXCLUDED.quality, "
    "quality_unit=EXCLUDED.quality_unit, forum_id=EXCLUDED.forum_id, "
    "recorded_by=EXCLUDED.recorded_by, recorded_at=EXCLUDED.recorded_at",
    Stmt.SESSION_STARTED: "INSERT INTO sessions(id, forum_id, number, started_at, started_by, "
    "start_seq, participants) VALUES ($1,$2,$3,$4,$5,$6,$7) "
    "ON CONFLICT (id) DO UPDATE SET forum_id = EXCLUDED.forum_id, number = EXCLUDED.number, "
    "started_at = EXCLUDED.started_at, started_by = EXCLUDED.started_by, "
    "start_seq = EXCLUDED.start_seq, participants = EXCLUDED.participants, ended_at = NULL, "
    "ended_by = NULL, end_seq = NULL, decisions = 0, next_steps = 0, board = NULL",
    Stmt.PARTICIPANTS: "UPDATE sessions SET participants=$1 WHERE id=$2",
    Stmt.DECISION: "INSERT INTO decisions(forum_id, id, session_id, text, at, by, card_ids) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (forum_id, id) DO UPDATE SET "
    "session_id = EXCLUDED.session_id, text = EXCLUDED.text, at = EXCLUDED.at, "
    "by = EXCLUDED.by, card_ids = EXCLUDED.card_ids, pos = DEFAULT",
    Stmt.STEP: "INSERT INTO next_steps(forum_id, id, session_id, text, owner, due, status, "
    "created_at, created_by, updated_at, updated_by, card_ids) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (forum_id, id) DO UPDATE SET "
    "session_id = EXCLUDED.session_id, text = EXCLUDED.text, owner = EXCLUDED.owner, "
    "due = EXCLUDED.due, status = EXCLUDED.status, created_at = EXCLUDED.created_at, "
    "created_by = EXCLUDED.created_by, updated_at = EXCLUDED.updated_at, "
    "updated_by = EXCLUDED.updated_by, card_ids = EXCLUDED.card_ids, pos = DEFAULT",
    Stmt.STEP_UPDATE: "UPDATE next_steps SET text=$1, owner=$2, due=$3, status=$4, "
    "updated_at=$5, updated_by=$6 WHERE forum_id=$7 AND id=$8",
    Stmt.SESSION_ENDED: "UPDATE sessions SET ended_at=$1, ended_by=$2, end_seq=$3, "
    "participants=$4, decisions=$5, next_steps=$6, board=$7 WHERE id=$8",
    Stmt.MAIL_NEW: "INSERT INTO mail(to_forum, from_forum, op, actor, made) "
    "VALUES ($1,$2,$3,$4,$5)",
    Stmt.MAIL_DELIVERED: "UPDATE mail SET settled=$1, outcome='delivered' "
    "WHERE id=$2 AND to_forum=$3 AND settled IS NULL",
    Stmt.MAIL_REPLY: "INSERT INTO mail(to_forum, from_forum, op, actor, made) "
    "SELECT $1,$2,$3,$4,$5 WHERE EXISTS (SELECT 1 FROM mail WHERE id=$6 AND settled IS NULL)",
    Stmt.MAIL_SETTLE: "UPDATE mail SET settled=$1, outcome=$2 "
    "WHERE id=$3 AND to_forum=$4 AND settled IS NULL",
    Stmt.EVENT: "INSERT INTO events(key, kind, forum_id, at, body) VALUES ($1,$2,$3,$4,$5) "
    "ON CONFLICT DO NOTHING",
    Stmt.EVENT_FANOUT: "INSERT INTO hook_deliveries(sub_id, event_key, next_at, created_at) "
    "SELECT id, $1, $2, $3 FROM hook_subscriptions WHERE (forum_id IS NULL OR forum_id IN "
    "(SELECT jsonb_array_elements_text($4::text::jsonb))) AND strpos(kinds, $5) > 0 "
    "ON CONFLICT DO NOTHING",
    Stmt.EVENT_TO: "INSERT INTO hook_deliveries(sub_id, event_key, next_at, created_at) "
    "VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING",
    Stmt.HOOK_SUB_NEW: "INSERT INTO hook_subscriptions(id, forum_id, url, format, kinds, "
    "secret, created_at, created_by, base_url) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    Stmt.HOOK_SUB_DROP: "DELETE FROM hook_subscriptions WHERE id=$1",
    Stmt.HOOK_DELIVERIES_DROP: "DELETE FROM hook_deliveries WHERE sub_id=$1",
    Stmt.HOOK_RESUME: "UPDATE hook_subscriptions SET paused=0, failures=0 WHERE id=$1",
    Stmt.HOOK_RESUME_DELIVERIES: "UPDATE hook_deliveries SET next_at=$1 "
    "WHERE sub_id=$2 AND status='pending'",
    Stmt.HOOK_DELIVERED: "UPDATE hook_deliveries SET status='delivered', attempts=attempts+1, "
    "delivered_at=$1, last_status=$2, last_error='', lease_until=0 "
    "WHERE sub_id=$3 AND event_key=$4",
    Stmt.HOOK_SUB_OK: "UPDATE hook_subscriptions SET failures=0 WHERE id=$1 AND paused=0",
    Stmt.HOOK_FAILED: "UPDATE hook_deliveries SET attempts=attempts+1, "
    "status=CASE WHEN attempts+1 >= $1 THEN 'failed' ELSE 'pending' END, next_at=$2, "
    "last_error=$3, last_status=$4, lease_until=0 WHERE sub_id=$5 AND event_key=$6",
    Stmt.HOOK_SUB_FAIL: "UPDATE hook_subscriptions SET failures=failures+1, "
    "paused=CASE WHEN failures+1 >= $1 THEN 1 ELSE paused END WHERE id=$2",
}
