"""The Scrum@Scale guide's minimum metrics, per team per sprint (SPEC R71).

A team's representative records, once per sprint (recording again replaces it):

- ``productivity``, ``value`` (value delivery) and ``quality``: a number (0 to
  1,000,000, at most two decimals) with the unit the team measures it in, written by
  the team (``"story points"``, ``"features released"``, ``"escaped defects"``). The
  guide leaves the measure to the team, so Scaleboard does not impose one; each
  measure may be left out (no number, no unit).
- ``happiness`` (sustainability): the team's happiness on a 1-5 scale, required.

``check_entry`` turns raw input (form text or JSON values) into a ``TeamSprintMetrics``
or raises ``BadMetrics`` naming the field and what is wrong; nothing half-checked is
ever stored.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Final

import msgspec

from .rules import clean_text

MEASURES: Final = (
    ("productivity", "Productivity"),
    ("value", "Value delivery"),
    ("quality", "Quality"),
)
"""The three numeric measures: field name and label."""
MAX_NUMBER: Final = 1_000_000.0
MAX_UNIT: Final = 40
HAPPINESS: Final = (1, 2, 3, 4, 5)


class BadMetrics(ValueError):
    """Input that cannot be recorded; ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class TeamSprintMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """One team's metrics for one sprint, as recorded (``forum_id``: the SoS or
    retrospective it was recorded in; ``recorded_by``: the name of who recorded it)."""

    team_id: str
    sprint: int
    happiness: int
    productivity: float | None = None
    productivity_unit: str = ""
    value: float | None = None
    value_unit: str = ""
    quality: float | None = None
    quality_unit: str = ""
    forum_id: str = ""
    recorded_by: str = ""
    recorded_at: float = 0.0


def _number(raw: object, field: str, label: str) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise BadMetrics(field, f"{label} must be a number.")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            shown = raw.strip()[:20]
            raise BadMetrics(field, f"{label} must be a number, not {shown!r}.") from None
    else:
        raise BadMetrics(field, f"{label} must be a number.")
    if not math.isfinite(value) or not 0 <= value <= MAX_NUMBER:
        raise BadMetrics(field, f"{label} must be between 0 and {MAX_NUMBER:,.0f}.")
    if round(value, 2) != value:
        raise BadMetrics(field, f"{label} may have at most two decimals.")
    return value


def _unit(raw: object, field: str, label: str, has_number: bool) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise BadMetrics(field, f"The unit of {label.lower()} must be text.")
    text = clean_text(raw, single_line=True)
    if len(text) > MAX_UNIT:
        raise BadMetrics(field, f"The unit of {label.lower()} is at most {MAX_UNIT} characters.")
    if has_number and not text:
        raise BadMetrics(field, f"Say what {label.lower()} is counted in (its unit).")
    if text and not has_number:
        raise BadMetrics(field.removesuffix("_unit"), f"{label} has a unit but no number.")
    return text


def _happiness(raw: object) -> int:
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if text not in {str(h) for h in HAPPINESS}:
        raise BadMetrics("happiness", "Team happiness is required: a whole number from 1 to 5.")
    return int(text)


def check_entry(
    raw: dict[str, object],
    *,
    teams: Collection[str],
    current_sprint: int,
    forum_id: str,
    by: str,
    at: float,
) -> TeamSprintMetrics:
    """A checked entry from raw values (``team_id``, ``sprint``, the measures, their
    ``<measure>_unit`` and ``happiness``). The sprint is 1 to ``current_sprint``: a
    sprint not begun has nothing to measure yet."""
    team = raw.get("team_id")
    if not isinstance(team, str) or team not in teams:
        raise BadMetrics("team_id", "Choose one of the network's teams.")
    sprint_raw = raw.get("sprint")
    text = str(sprint_raw).strip() if isinstance(sprint_raw, str | int) else ""
    if isinstance(sprint_raw, bool) or not text.isdigit() or len(text) > 6:
        raise BadMetrics("sprint", "The sprint must be a sprint number (1, 2, 3 …).")
    sprint = int(text)
    if not 1 <= sprint <= current_sprint:
        raise BadMetrics(
            "sprint",
            f"Sprint {sprint} is not recordable: choose sprint 1 to {current_sprint} "
            "(the current one or an earlier one).",
        )
    measured: dict[str, tuple[float | None, str]] = {}
    for field, label in MEASURES:
        number = _number(raw.get(field), field, label)
        unit = _unit(raw.get(f"{field}_unit"), f"{field}_unit", label, number is not None)
        measured[field] = (number, unit)
    return TeamSprintMetrics(
        team_id=team,
        sprint=sprint,
        happiness=_happiness(raw.get("happiness")),
        productivity=measured["productivity"][0],
        productivity_unit=measured["productivity"][1],
        value=measured["value"][0],
        value_unit=measured["value"][1],
        quality=measured["quality"][0],
        quality_unit=measured["quality"][1],
        forum_id=forum_id,
        recorded_by=by,
        recorded_at=at,
    )
