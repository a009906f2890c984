"""Reading a tracker's CSV export: which tracker wrote it, its columns, its rows.

Jira ("Export Excel CSV"), Azure DevOps (a query's "Export to CSV") and GitHub (a
project view's "Export view data", or any issues CSV with ``Title`` and ``URL``) each
name their columns their own way; ``detect`` tells them apart by the header row and
``DEFAULTS`` says which column means what for each. The file is read with Python's
``csv`` module: UTF-8 with or without a byte-order mark, the delimiter sniffed among
comma, semicolon and tab (Excel in some locales writes semicolons), quoted fields over
several lines. Anything that is not such a file is a ``Malformed`` with the line it
was found on. Pure: no I/O (``plan.py`` turns rows into cards).
"""

from __future__ import annotations

import csv
import io
from typing import Final, Literal

import msgspec

MAX_BYTES: Final = 2 * 1024 * 1024  # an export of a few thousand issues
MAX_ROWS: Final = 500  # cards one import adds at most
MAX_FIELD: Final = 64 * 1024  # one cell (a long description)

System = Literal["jira", "ado", "github"]
FIELDS: Final = ("title", "description", "key", "link", "type", "status")
"""What a column may be used as: the card's title, body, source key and link; the
item's type (→ the card's kind) and status (→ the board column it lands in)."""


class Malformed(Exception):
    """The file cannot be read as a CSV export; ``line`` is where (0: the file as a whole)."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class Row(msgspec.Struct, frozen=True):
    """One record of the file: its first physical line and its cells by header."""

    line: int
    cells: dict[str, str]
    error: str = ""  # why the record cannot be read as an item (its cells do not fit)


class Table(msgspec.Struct, frozen=True):
    headers: tuple[str, ...]
    rows: tuple[Row, ...]


# Each tracker's names for what a card needs, in the order they are looked for (the
# first header present wins, compared without case).
DEFAULTS: Final[dict[System, dict[str, tuple[str, ...]]]] = {
    "jira": {
        "title": ("Summary",),
        "description": ("Description",),
        "key": ("Issue key",),
        "link": ("Issue URL", "URL", "Link"),
        "type": ("Issue Type",),
        "status": ("Status",),
    },
    "ado": {
        "title": ("Title",),
        "description": ("Description", "Repro Steps"),
        "key": ("ID",),
        "link": ("URL", "Link"),
        "type": ("Work Item Type",),
        "status": ("State",),
    },
    "github": {
        "title": ("Title",),
        "description": ("Body", "Description"),
        "key": ("Number", "Issue number", "Issue", "#"),
        "link": ("URL", "Link", "html_url"),
        "type": ("Type", "Issue Type", "Labels"),
        "status": ("Status", "State"),
    },
}
LABELS: Final[dict[System, str]] = {"jira": "Jira", "ado": "Azure DevOps", "github": "GitHub"}


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), or ``Malformed``."""
    if not data.strip():
        raise Malformed("The file is empty.")
    if len(data) > MAX_BYTES:
        raise Malformed(f"The file is too large: at most {MAX_BYTES // 2**20} MiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise Malformed("The file is not UTF-8 text (save it as CSV UTF-8).", line) from None
    if "\x00" in text:
        raise Malformed("The file holds NUL bytes: it is not a CSV export.")
    return text


def _delimiter(text: str) -> str:
    """The delimiter the sniffer finds among comma, semicolon and tab (the plain comma
    when it cannot tell). Only the delimiter is taken from it: its guesses about quoting
    can be wrong on a small sample, and every tracker quotes as Excel does."""
    try:
        return str(csv.Sniffer().sniff(text[:16384], delimiters=",;\t").delimiter)
    except csv.Error:
        return ","


def read_table(data: bytes) -> Table:
    """Every record of the CSV ``data`` under its header row, or ``Malformed`` (an
    unclosed quote, a record with more cells than the header, a duplicate header …)."""
    text = decode(data)
    reader = csv.reader(
        io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text), strict=True
    )
    csv.field_size_limit(MAX_FIELD)
    rows: list[Row] = []
    headers: tuple[str, ...] = ()
    end = 0  # the physical line the previous record ended on
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if not headers:
                headers = _headers(record, start)
                continue
            error = (
                f"Line {start} has {len(record)} cells but the header has {len(headers)}: "
                "check its quotes and delimiters."
                if len(record) > len(headers)
                else ""
            )
            rows.append(Row(line=start, cells=_cells(headers, record), error=error))
            if len(rows) > MAX_ROWS:
                raise Malformed(f"The file has more than {MAX_ROWS} items: split it.", start)
    except csv.Error as e:
        line = end + 1  # where the record that cannot be read starts
        why = "a quoted field is never closed" if "end of data" in str(e) else str(e)
        raise Malformed(f"Line {line} cannot be read as CSV: {why}.", line) from None
    if not headers:
        raise Malformed("The file has no header row.")
    if not rows:
        raise Malformed("The file has a header row but no items.", end)
    return Table(headers=tuple(dict.fromkeys(headers)), rows=tuple(rows))


def _headers(record: list[str], line: int) -> tuple[str, ...]:
    """The header row's names. A name may repeat (Jira writes one ``Labels`` or
    ``Sprint`` column a value): a field uses the first non-empty cell of its name."""
    names = tuple(cell.strip() for cell in record)
    if not all(names):
        raise Malformed(f"The header row (line {line}) has an empty column name.", line)
    return names


def _cells(headers: tuple[str, ...], record: list[str]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for name, value in zip(headers, record, strict=False):
        if not cells.get(name):
            cells[name] = value
    return {name: cells.get(name, "") for name in headers}


def detect(headers: tuple[str, ...]) -> System | None:
    """Which tracker wrote a file with these headers (``None``: none we know)."""
    lower = {h.lower() for h in headers}
    if {"issue key", "summary"} <= lower:
        return "jira"
    if {"id", "work item type", "title"} <= lower:
        return "ado"
    if {"title", "url"} <= lower:
        return "github"
    return None


def default_mapping(system: System, headers: tuple[str, ...]) -> dict[str, str]:
    """Each field's column for ``system`` (``""``: none in this file)."""
    by_lower = {h.lower(): h for h in headers}
    out: dict[str, str] = {}
    for field in FIELDS:
        names = DEFAULTS[system][field]
        out[field] = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), "")
    return out
