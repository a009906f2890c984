"""Replay a past session step by step, and what changed between sessions."""

from __future__ import annotations

from typing import Any

REPLAY_ROUTES: list[Any] = []
