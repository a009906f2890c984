"""Exports of a session (Markdown, JSON, CSV) and import of a JSON export."""

from __future__ import annotations

from typing import Any

EXPORT_ROUTES: list[Any] = []
