"""The statements every engine knows, by name: a ``Write`` is one of them with its
parameters (``writes.py`` and ``projections.py`` decide them). Each engine maps every
name to its own SQL with the same parameters in the same order, and what the name
says is what the statement must do (``OP`` fails on a seq already logged; ``..._KEEP``
leaves a row already there alone; ``..._SET``, ``TEAM``, ``SNAPSHOT``, ``DECISION``,
``STEP`` and ``SESSION_STARTED`` replace it whole)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgspec


class Stmt(StrEnum):
    # the op log and snapshots
    OP = "op"  # forum_id, seq, op_id, actor, at, op (bytes), by_person
    SNAPSHOT = "snapshot"  # forum_id, seq, board (bytes)
    # the directory
    FORUM_NEW = "forum_new"  # id, kind, name, created_at, updated_at, seq
    FORUM_SUMMARY = "forum_summary"  # name, seq, updated_at, live_cards, session_id, id
    TOKEN_NEW = "token_new"  # forum_id, role, token, created_at (fails if taken)
    TOKEN_KEEP = "token_keep"  # forum_id, role, token, created_at
    TOKEN_REPLACE = "token_replace"  # token, created_at, forum_id, role
    LINK_SET = "link_set"  # forum_id, relation, target_id
    LINK_CLEAR = "link_clear"  # forum_id, relation
    TEAM = "team"  # id, name, colour, position
    SERVES_CLEAR = "serves_clear"  # forum_id
    SERVES_ADD = "serves_add"  # forum_id, team_id
    META_SET = "meta_set"  # key, value
    META_KEEP = "meta_keep"  # key, value
    # calendar feeds (feeds.py): replaces the feed of its scope and subject
    FEED_SET = "feed_set"  # scope, subject, generation, token_hash, created_at, owner,
    # grants (JSON text), admin_mark
    # the sprint calendar and team metrics (cadence.py): replace the row there
    SPRINTS_SET = "sprints_set"  # days, start (ISO text), updated_at, updated_by
    TEAM_METRICS_SET = "team_metrics_set"  # team_id, sprint, happiness, productivity,
    # productivity_unit, value, value_unit, quality, quality_unit, forum_id,
    # recorded_by, recorded_at
    # the review tables (projections.py)
    SESSION_STARTED = "session_started"  # id, forum_id, number, started_at, started_by,
    # start_seq, participants (JSON text)
    PARTICIPANTS = "participants"  # participants (JSON text), id
    DECISION = "decision"  # forum_id, id, session_id, text, at, by, card_ids (JSON text)
    STEP = "step"  # forum_id, id, session_id, text, owner, due (ISO text), status,
    # created_at, created_by, updated_at, updated_by, card_ids (JSON text)
    STEP_UPDATE = "step_update"  # text, owner, due, status, updated_at, updated_by,
    # forum_id, id
    SESSION_ENDED = "session_ended"  # ended_at, ended_by, end_seq, participants,
    # decisions, next_steps, board (bytes), id
    # mail: ops for another forum (projections.py, SPEC R18a)
    MAIL_NEW = "mail_new"  # to_forum, from_forum, op (bytes), actor, made
    MAIL_DELIVERED = "mail_delivered"  # settled, id, to_forum (only if still pending)
    MAIL_REPLY = "mail_reply"  # to_forum, from_forum, op, actor, made, id: a new mail,
    # only if mail ``id`` is still pending (its answer is written once)
    MAIL_SETTLE = "mail_settle"  # settled, outcome, id, to_forum (only if still pending)
    # outgoing webhooks (``hooks.py``, SPEC R60-R64)
    EVENT = "event"  # key, kind, forum_id, at, body (bytes); kept if the key is there
    EVENT_FANOUT = "event_fanout"  # key, next_at, created_at, forums (JSON text),
    # ",kind,": a pending delivery for each subscription that wants it (kept if there)
    EVENT_TO = "event_to"  # sub_id, key, next_at, created_at: a delivery to one
    HOOK_SUB_NEW = "hook_sub_new"  # id, forum_id, url, format, kinds, secret,
    # created_at, created_by, base_url
    HOOK_SUB_DROP = "hook_sub_drop"  # id
    HOOK_DELIVERIES_DROP = "hook_deliveries_drop"  # sub_id
    HOOK_RESUME = "hook_resume"  # id: not paused, no failures
    HOOK_RESUME_DELIVERIES = "hook_resume_deliveries"  # next_at, sub_id: pending ones due
    HOOK_DELIVERED = "hook_delivered"  # delivered_at, last_status, sub_id, event_key
    HOOK_SUB_OK = "hook_sub_ok"  # id: failures in a row back to 0 (unless paused: the
    # count that paused it stays until it is resumed)
    HOOK_FAILED = "hook_failed"  # give_up, next_at, last_error, last_status, sub_id,
    # event_key: one more attempt, ``failed`` once attempts reach give_up
    HOOK_SUB_FAIL = "hook_sub_fail"  # pause_after, id: one more failure, paused at it


Write = tuple[Stmt, Sequence[Any]]

_encoder = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    return _encoder.encode(value)
