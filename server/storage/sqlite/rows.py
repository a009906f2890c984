"""The SQLite statement of each ``server.storage.stmt.Stmt``: what the writer commits
(the same parameters, in the same order, on every engine)."""

from __future__ import annotations

from typing import Final

from server.storage.sqlite.schema import INSERT_OP
from server.storage.stmt import Stmt

SQL: Final[dict[Stmt, str]] = {
    Stmt.OP: INSERT_OP,
    Stmt.SNAPSHOT: "INSERT OR REPLACE INTO snapshots(forum_id, seq, board) VALUES (?,?,?)",
    Stmt.FORUM_NEW: "INSERT INTO forums(id, kind, name, created_at, updated_at, seq) "
    "VALUES (?,?,?,?,?,?)",
    Stmt.FORUM_SUMMARY: "UPDATE forums SET name=?, seq=?, updated_at=?, live_cards=?, "
    "session_id=? WHERE id=?",
    Stmt.TOKEN_NEW: "INSERT INTO forum_tokens(forum_id, role, token, created_at) VALUES (?,?,?,?)",
    Stmt.TOKEN_KEEP: "INSERT OR IGNORE INTO forum_tokens(forum_id, role, token, created_at) "
    "VALUES (?,?,?,?)",
    Stmt.TOKEN_REPLACE: "UPDATE forum_tokens SET token=?, created_at=? WHERE forum_id=? AND role=?",
    Stmt.LINK_SET: "INSERT OR REPLACE INTO forum_links(forum_id, relation, target_id) "
    "VALUES (?,?,?)",
    Stmt.LINK_CLEAR: "DELETE FROM forum_links WHERE forum_id=? AND relation=?",
    Stmt.TEAM: "INSERT OR REPLACE INTO teams(id, name, colour, position) VALUES (?,?,?,?)",
    Stmt.SERVES_CLEAR: "DELETE FROM forum_teams WHERE forum_id=?",
    Stmt.SERVES_ADD: "INSERT OR IGNORE INTO forum_teams(forum_id, team_id) VALUES (?,?)",
    Stmt.META_SET: "INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)",
    Stmt.FEED_SET: "INSERT OR REPLACE INTO feeds(scope, subject, generation, token_hash, "
    "created_at, owner, grants, admin_mark) VALUES (?,?,?,?,?,?,?,?)",
    Stmt.META_KEEP: "INSERT OR IGNORE INTO meta(key, value) VALUES (?,?)",
    Stmt.SPRINTS_SET: "INSERT OR REPLACE INTO sprint_settings(id, days, start, updated_at, "
    "updated_by) VALUES (1,?,?,?,?)",
    Stmt.TEAM_METRICS_SET: "INSERT OR REPLACE INTO team_metrics(team_id, sprint, happiness, "
    "productivity, productivity_unit, value, value_unit, quality, quality_unit, forum_id, "
    "recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    Stmt.SESSION_STARTED: "INSERT OR REPLACE INTO sessions(id, forum_id, number, started_at, "
    "started_by, start_seq, participants) VALUES (?,?,?,?,?,?,?)",
    Stmt.PARTICIPANTS: "UPDATE sessions SET participants=? WHERE id=?",
    Stmt.DECISION: "INSERT OR REPLACE INTO decisions(forum_id, id, session_id, text, at, by, "
    "card_ids) VALUES (?,?,?,?,?,?,?)",
    Stmt.STEP: "INSERT OR REPLACE INTO next_steps(forum_id, id, session_id, text, owner, due, "
    "status, created_at, created_by, updated_at, updated_by, card_ids) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    Stmt.STEP_UPDATE: "UPDATE next_steps SET text=?, owner=?, due=?, status=?, updated_at=?, "
    "updated_by=? WHERE forum_id=? AND id=?",
    Stmt.SESSION_ENDED: "UPDATE sessions SET ended_at=?, ended_by=?, end_seq=?, participants=?, "
    "decisions=?, next_steps=?, board=? WHERE id=?",
    Stmt.MAIL_NEW: "INSERT INTO mail(to_forum, from_forum, op, actor, made) VALUES (?,?,?,?,?)",
    Stmt.MAIL_DELIVERED: "UPDATE mail SET settled=?, outcome='delivered' "
    "WHERE id=? AND to_forum=? AND settled IS NULL",
    Stmt.MAIL_REPLY: "INSERT INTO mail(to_forum, from_forum, op, actor, made) "
    "SELECT ?,?,?,?,? WHERE EXISTS (SELECT 1 FROM mail WHERE id=? AND settled IS NULL)",
    Stmt.MAIL_SETTLE: "UPDATE mail SET settled=?, outcome=? "
    "WHERE id=? AND to_forum=? AND settled IS NULL",
    Stmt.EVENT: "INSERT OR IGNORE INTO events(key, kind, forum_id, at, body) VALUES (?,?,?,?,?)",
    Stmt.EVENT_FANOUT: "INSERT OR IGNORE INTO hook_deliveries(sub_id, event_key, next_at, "
    "created_at) SELECT id, ?1, ?2, ?3 FROM hook_subscriptions WHERE (forum_id IS NULL OR "
    "forum_id IN (SELECT value FROM json_each(?4))) AND instr(kinds, ?5) > 0",
    Stmt.EVENT_TO: "INSERT OR IGNORE INTO hook_deliveries(sub_id, event_key, next_at, "
    "created_at) VALUES (?,?,?,?)",
    Stmt.HOOK_SUB_NEW: "INSERT INTO hook_subscriptions(id, forum_id, url, format, kinds, "
    "secret, created_at, created_by, base_url) VALUES (?,?,?,?,?,?,?,?,?)",
    Stmt.HOOK_SUB_DROP: "DELETE FROM hook_subscriptions WHERE id=?",
    Stmt.HOOK_DELIVERIES_DROP: "DELETE FROM hook_deliveries WHERE sub_id=?",
    Stmt.HOOK_RESUME: "UPDATE hook_subscriptions SET paused=0, failures=0 WHERE id=?",
    Stmt.HOOK_RESUME_DELIVERIES: "UPDATE hook_deliveries SET next_at=? "
    "WHERE sub_id=? AND status='pending'",
    Stmt.HOOK_DELIVERED: "UPDATE hook_deliveries SET status='delivered', attempts=attempts+1, "
    "delivered_at=?1, last_status=?2, last_error='', lease_until=0 "
    "WHERE sub_id=?3 AND event_key=?4",
    Stmt.HOOK_SUB_OK: "UPDATE hook_subscriptions SET failures=0 WHERE id=? AND paused=0",
    Stmt.HOOK_FAILED: "UPDATE hook_deliveries SET attempts=attempts+1, "
    "status=CASE WHEN attempts+1 >= ?1 THEN 'failed' ELSE 'pending' END, next_at=?2, "
    "last_error=?3, last_status=?4, lease_until=0 WHERE sub_id=?5 AND event_key=?6",
    Stmt.HOOK_SUB_FAIL: "UPDATE hook_subscriptions SET failures=failures+1, "
    "paused=CASE WHEN failures+1 >= ?1 THEN 1 ELSE paused END WHERE id=?2",
}
