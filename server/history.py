"""History pages: sessions of the network, decisions log, next steps."""

from __future__ import annotations

from typing import Any

HISTORY_ROUTES: list[Any] = []
