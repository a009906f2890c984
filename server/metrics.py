"""Metrics and guardrails pages of a forum and of the network (server-rendered SVG)."""

from __future__ import annotations

from typing import Any

METRICS_ROUTES: list[Any] = []
