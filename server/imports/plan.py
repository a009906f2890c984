"""From a tracker's rows to the cards an import adds: the mapping, the preview, the ops.

``plan`` checks the mapping against the file's headers (a column that is not in the
file, or no title column, is a ``BadMapping``: the caller answers 400), then turns
each row into a card: its title, description, source key and link (SPEC R65), its kind
from the item's type and its column from the item's status where the board has a
column of that name. Every problem of a row is kept with the row's line number; a file
with any is not imported at all (``Plan.errors``). The ops carry ids made of a digest
of the file, the mapping and the row, so the same import submitted twice adds its
cards once (SPEC R6). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from typing import Final

import msgspec

from board import ops as o
from board.kinds import forum_kind
from board.model import MAX_BODY, MAX_ID, MAX_TITLE, Board
from board.rules import MAX_CARDS, Rejected, clean_text
from board.sources import check_url
from server.imports.trackers import FIELDS, System, Table, default_mapping

PREVIEW_ROWS: Final = 10

# An item's type, as trackers name it, to the card kind it becomes (when the forum has
# that kind; otherwise the forum's default kind).
TYPE_KINDS: Final = {
    "bug": "impediment",
    "impediment": "impediment",
    "blocker": "impediment",
    "issue": "impediment",
    "risk": "risk",
    "dependency": "dependency",
    "story": "backlog_item",
    "user story": "backlog_item",
    "task": "backlog_item",
    "epic": "backlog_item",
    "feature": "backlog_item",
    "product backlog item": "backlog_item",
    "enhancement": "backlog_item",
    "experiment": "experiment",
    "spike": "experiment",
}


class BadMapping(Exception):
    """The mapping names a column the file has not, or leaves out the title."""


class Mapping(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which column of the file each field is read from (``""``: none)."""

    title: str = ""
    description: str = ""
    key: str = ""
    link: str = ""
    type: str = ""
    status: str = ""


class PlannedCard(msgspec.Struct, frozen=True):
    """One row as the card it becomes (shown in the preview)."""

    line: int
    title: str
    kind: str
    column: str
    column_title: str
    key: str = ""
    link: str = ""
    description: str = ""


class RowError(msgspec.Struct, frozen=True):
    line: int
    reason: str


class Plan(msgspec.Struct, frozen=True):
    system: System
    mapping: Mapping
    cards: tuple[PlannedCard, ...]
    errors: tuple[RowError, ...]
    digest: str  # of the file, the mapping and the site: the import's op ids


def mapping_for(system: System, table: Table, given: Mapping | None) -> Mapping:
    """``given`` checked against the file's headers, or the tracker's defaults."""
    if given is None:
        return Mapping(**default_mapping(system, table.headers))
    known = set(table.headers)
    for field in FIELDS:
        column = getattr(given, field)
        if column and column not in known:
            raise BadMapping(
                f"The mapping reads {field} from {column[:80]!r}, which is not a column of "
                f"the file (its columns: {', '.join(table.headers)[:400]})."
            )
    if not given.title:
        raise BadMapping("Choose the column the cards' titles are read from.")
    return given


def _kind(board: Board, raw: str) -> str:
    kinds = forum_kind(board.kind)
    for part in (p.strip().lower() for p in raw.replace(";", ",").split(",")):
        wanted = TYPE_KINDS.get(part)
        if wanted in kinds.card_kinds:
            return wanted
    return kinds.default_card_kind


def _column(board: Board, raw: str, fallback: str) -> tuple[str, str]:
    """The column of the status ``raw`` (its title or id, without case), else
    ``fallback`` (a column id; ``""``: the first column)."""
    status = raw.strip().lower()
    for col in board.columns:
        if status and status in (col.id.lower(), col.title.lower()):
            return col.id, col.title
    chosen = next((c for c in board.columns if c.id == fallback), board.columns[0])
    return chosen.id, chosen.title


def _link(system: System, key: str, site: str) -> str:
    if not site or not key:
        return ""
    base = site.rstrip("/")
    if system == "jira":
        return f"{base}/browse/{key}"
    if system == "ado":
        return f"{base}/_workitems/edit/{key}"
    return f"{base}/issues/{key.lstrip('#')}"


def _card(
    board: Board, system: System, m: Mapping, row: tuple[int, dict[str, str]], where: Where
) -> PlannedCard | str:
    """The card of one row, or the reason it cannot be one."""
    line, cells = row
    title = clean_text(cells.get(m.title, ""), single_line=True)
    if not title:
        return f"Line {line}: the title ({m.title}) is empty."
    if len(title) > MAX_TITLE:
        return f"Line {line}: the title is {len(title)} characters long (at most {MAX_TITLE})."
    key = clean_text(cells.get(m.key, ""), single_line=True) if m.key else ""
    if len(key) > MAX_ID:
        return f"Line {line}: the key is longer than {MAX_ID} characters."
    body = clean_text(cells.get(m.description, ""), single_line=False) if m.description else ""
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1] + "…"
    link = cells.get(m.link, "").strip() if m.link else ""
    if not link and key:
        link = _link(system, key, where.site)
    try:
        link = check_url(link)
    except Rejected as e:
        return f"Line {line}: {e.reason}"
    if not key and link:
        key = link.rstrip("/").rsplit("/", 1)[-1][:MAX_ID]
    status = cells.get(m.status, "") if m.status else ""
    column, column_title = _column(board, status, where.column)
    kind = _kind(board, cells.get(m.type, "") if m.type else "")
    return PlannedCard(line, title, kind, column, column_title, key, link, body)


class Where(msgspec.Struct, frozen=True):
    """Where an import's cards point and land: ``site``, the tracker's address (links
    for rows without a URL); ``column``, the column of a status that names none."""

    site: str = ""
    column: str = ""


def _where(board: Board, site: str, column: str) -> Where:
    if site:
        try:
            site = check_url(site.strip())
        except Rejected as e:
            raise BadMapping(f"The site address: {e.reason}") from None
    if column and column not in {c.id for c in board.columns}:
        ids = ", ".join(c.id for c in board.columns)
        raise BadMapping(f"The board has no column {column[:64]!r} (its columns: {ids}).")
    return Where(site, column)


def plan(
    board: Board,
    system: System,
    table: Table,
    given: Mapping | None,
    site: str = "",
    column: str = "",
) -> Plan:
    """The cards ``table`` becomes on ``board`` read through the mapping (``BadMapping``
    when it, the site or the column does not fit), with every row's problem by line."""
    m = mapping_for(system, table, given)
    where = _where(board, site, column)
    cards: list[PlannedCard] = []
    errors: list[RowError] = []
    for row in table.rows:
        if row.error:
            errors.append(RowError(row.line, row.error))
            continue
        out = _card(board, system, m, (row.line, row.cells), where)
        if isinstance(out, str):
            errors.append(RowError(row.line, out))
        else:
            cards.append(out)
    room = MAX_CARDS - len(board.cards)
    if len(cards) > room:
        errors.append(RowError(0, f"The board has room for {room} more cards, not {len(cards)}."))
    digest = hashlib.sha256(
        msgspec.json.encode([system, m, where, [r.cells for r in table.rows]])
    ).hexdigest()[:20]
    return Plan(system, m, tuple(cards), tuple(errors), digest)


def ops(p: Plan) -> list[tuple[str, o.AddCard]]:
    """The ``add_card`` ops of a plan without errors, each with its op id."""
    out: list[tuple[str, o.AddCard]] = []
    for c in p.cards:
        source = o.SourceIn(system=p.system, key=c.key or f"line {c.line}", url=c.link)
        op = o.AddCard(
            column=c.column, title=c.title, kind=c.kind, body=c.description, source=source
        )
        out.append((f"import-{p.digest}-{c.line}", op))
    return out
