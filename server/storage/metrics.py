"""MetricsQueries: what the metrics and guardrails pages read."""

from __future__ import annotations

from typing import Protocol


class MetricsQueries(Protocol):
    """What the app asks of storage in this area (methods added as the SQL moves here)."""
