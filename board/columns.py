"""The column operations ``apply`` dispatches (add, rename, move and remove a column)
and renaming the forum. A new column's id comes from the op's seq (``col<seq>``), so a
replay gives the same ids. Pure: no I/O.
"""

from __future__ import annotations

from msgspec.structs import replace

from . import ops as o
from .events import ColumnAdded, ColumnMoved, ColumnRemoved, ColumnRenamed, ForumRenamed
from .model import Board, Column
from .rules import MAX_COLUMNS, Context, Rejected, Result
from .rules import column as _column
from .rules import required as _required
from .rules import with_column as _with_column


def add_column(board: Board, op: o.AddColumn, ctx: Context) -> Result:
    title = _required(op.title, "A column's title")
    if len(board.columns) >= MAX_COLUMNS:
        raise Rejected("limit", f"A board has at most {MAX_COLUMNS} columns.")
    index = len(board.columns) if op.index is None else min(op.index, len(board.columns))
    column = Column(id=f"col{ctx.seq}", title=title)
    columns = (*board.columns[:index], column, *board.columns[index:])
    return replace(board, columns=columns), [ColumnAdded(column=column, index=index)]


def rename_column(board: Board, op: o.RenameColumn, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    title = _required(op.title, "A column's title")
    if title == col.title:
        return board, []
    columns = _with_column(board, i, replace(col, title=title))
    return replace(board, columns=columns), [ColumnRenamed(column_id=col.id, title=title)]


def move_column(board: Board, op: o.MoveColumn, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    others = [c for c in board.columns if c.id != col.id]
    index = min(op.index, len(others))
    if index == i:
        return board, []
    others.insert(index, col)
    return replace(board, columns=tuple(others)), [ColumnMoved(column_id=col.id, index=index)]


def remove_column(board: Board, op: o.RemoveColumn, ctx: Context) -> Result:
    _, col = _column(board, op.column)
    if col.card_ids:
        raise Rejected(
            "conflict", f"Column {col.title!r} still has cards; move or archive them first."
        )
    if len(board.columns) == 1:
        raise Rejected("conflict", "A board keeps at least one column.")
    columns = tuple(c for c in board.columns if c.id != col.id)
    cards = board.cards
    removed = ColumnRemoved(column_id=col.id)
    rehomed = tuple(sorted(k for k, c in cards.items() if c.column == col.id))
    if rehomed:  # its archived cards restore into the first column, and the event says so
        home = columns[0].id
        cards = {k: replace(c, column=home) if c.column == col.id else c for k, c in cards.items()}
        removed = ColumnRemoved(column_id=col.id, home=home, rehomed=rehomed)
    return replace(board, columns=columns, cards=cards), [removed]


def rename_forum(board: Board, op: o.RenameForum, ctx: Context) -> Result:
    name = _required(op.name, "A forum's name")
    if name == board.name:
        return board, []
    return replace(board, name=name), [ForumRenamed(name=name)]
