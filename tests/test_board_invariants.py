"""Any sequence of operations keeps the board consistent, and clients converge on it."""

from __future__ import annotations

import datetime as dt

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from board import ops as o
from board import ranks
from board.apply import Context, Rejected, apply
from board.events import (
    CardAdded,
    CardArchived,
    CardMoved,
    CardRestored,
    ColumnAdded,
    ColumnMoved,
    ColumnRemoved,
    ColumnReranked,
    Event,
)
from board.log import Accepted, LoggedOp
from board.model import Board, StepStatus, check, new_board
from board.sync import ForumSync, Unchanged, replay

CODES = {"not_found", "invalid", "conflict", "no_session", "limit"}
ACTORS = ["Ann", "Bo", "Cy"]
STATUSES: list[StepStatus] = ["open", "done", "dropped"]


class Client:
    """What the JS client keeps (static/js/dom.js): cards placed by rank, never by index.

    ``column_reranked`` rewrites ranks in place (their order is unchanged); a moved or
    added card goes before the first other card with a greater rank (SPEC R17).
    """

    def __init__(self, board: Board) -> None:
        self.columns: list[str] = [c.id for c in board.columns]
        self.lists: dict[str, list[tuple[str, str]]] = {
            c.id: [(board.cards[cid].rank, cid) for cid in c.card_ids] for c in board.columns
        }

    def _remove(self, card_id: str) -> None:
        for items in self.lists.values():
            items[:] = [(r, c) for r, c in items if c != card_id]

    def _place(self, column: str, rank: str, card_id: str) -> None:
        self._remove(card_id)
        items = self.lists[column]
        at = next((i for i, (r, _) in enumerate(items) if r > rank), len(items))
        items.insert(at, (rank, card_id))

    def apply(self, event: Event) -> None:
        if isinstance(event, CardAdded | CardRestored):
            self._place(event.card.column, event.card.rank, event.card.id)
        elif isinstance(event, CardMoved):
            self._place(event.column, event.rank, event.card_id)
        elif isinstance(event, ColumnReranked):
            items = self.lists[event.column]
            items[:] = [(event.ranks.get(c, r), c) for r, c in items]
        elif isinstance(event, CardArchived):
            self._remove(event.card.id)
        elif isinstance(event, ColumnAdded):
            self.columns.insert(event.index, event.column.id)
            assert event.column.card_ids == ()
            self.lists[event.column.id] = []
        elif isinstance(event, ColumnMoved):
            self.columns.remove(event.column_id)
            self.columns.insert(event.index, event.column_id)
        elif isinstance(event, ColumnRemoved):
            self.columns.remove(event.column_id)
            assert self.lists.pop(event.column_id) == []

    def matches(self, board: Board) -> None:
        assert self.columns == [c.id for c in board.columns]
        for col in board.columns:
            assert [c for _, c in self.lists[col.id]] == list(col.card_ids), col.id
            assert [r for r, _ in self.lists[col.id]] == [board.cards[c].rank for c in col.card_ids]


VALID_TEXT = ["Fix CI", "Call\x00 EAT", "x" * 30, "Risk: vendor\nlate", " Ship ", "Tidy", "Go"]
text_st = st.sampled_from([*VALID_TEXT, "  ", ""])  # mostly valid, sometimes blank
index_st = st.integers(0, 12)


class BoardMachine(RuleBasedStateMachine):
    """Random operations, mostly on cards and columns that exist, sometimes on missing ones."""

    def __init__(self) -> None:
        super().__init__()
        self.initial = new_board("f", "sos", "SoS")
        self.board = self.initial
        self.log: list[LoggedOp] = []
        self.client = Client(self.board)

    # -- picking what an op refers to ---------------------------------------------------

    def card(self, n: int) -> str:
        cards = sorted(self.board.cards)
        return "c999" if n % 8 == 0 or not cards else cards[n % len(cards)]

    def col(self, n: int) -> str:
        cols = [c.id for c in self.board.columns]
        return "nowhere" if n % 10 == 0 else cols[n % len(cols)]

    def step_id(self, n: int) -> str:
        steps = sorted(self.board.next_steps)
        return "s999" if n % 6 == 0 or not steps else steps[n % len(steps)]

    def do(self, op: o.Op, n: int = 0) -> None:
        board = self.board
        before = msgspec.json.encode(board)
        ctx = Context(seq=board.seq + 1, at=float(board.seq + 1), actor=ACTORS[n % 3])
        try:
            new, events = apply(board, op, ctx)
        except Rejected as e:
            assert e.code in CODES, e  # SPEC R7
            new, events = board, []
        assert msgspec.json.encode(board) == before, "apply mutated its input"
        if not events:
            assert new is board  # SPEC R4: unchanged, no seq spent
            return
        assert new.seq == board.seq + 1
        self.log.append(LoggedOp(seq=ctx.seq, actor=ctx.actor, at=ctx.at, op=op))
        for event in events:  # SPEC R5: clients apply the events in order
            self.client.apply(event)
        self.board = new

    # -- rules ----------------------------------------------------------------------------

    @rule(c=st.integers(0, 99), title=text_st, i=st.none() | index_st, n=st.integers(0, 99))
    def add_card(self, c: int, title: str, i: int | None, n: int) -> None:
        kind = [None, "risk", "dependency", None, "experiment"][n % 5]  # experiment: invalid
        self.do(o.AddCard(column=self.col(c), title=title, kind=kind, index=i), n)

    @rule(c=st.integers(1, 99), where=st.lists(st.none() | index_st, min_size=1, max_size=8))
    def add_cards(self, c: int, where: list[int | None]) -> None:
        for i in where:
            self.do(o.AddCard(column=self.col(c + len(self.board.cards)), title="Card", index=i))

    @rule(c=st.integers(0, 99), title=text_st, n=st.integers(0, 99))
    def edit_card(self, c: int, title: str, n: int) -> None:
        self.do(o.EditCard(card=self.card(c), title=title, owner=ACTORS[n % 3]), n)

    @rule(c=st.integers(0, 99), col=st.integers(0, 99), i=index_st, n=st.integers(0, 99))
    def move_card(self, c: int, col: int, i: int, n: int) -> None:
        self.do(o.MoveCard(card=self.card(c), column=self.col(col), index=i), n)

    def live(self) -> list[str]:
        return sorted(c.id for c in self.board.cards.values() if not c.archived)

    @precondition(lambda self: len(self.live()) >= 2)
    @rule(col=st.integers(1, 99), times=st.integers(20, 200), front=st.booleans())
    def crowd(self, col: int, times: int, front: bool) -> None:
        """Drop cards on one spot again and again, so ranks grow and columns re-spread."""
        column, live = self.col(col), self.live()
        for k in range(times):
            self.do(o.MoveCard(card=live[k % len(live)], column=column, index=0 if front else 1))

    @rule(c=st.integers(0, 99))
    def archive_card(self, c: int) -> None:
        self.do(o.ArchiveCard(card=self.card(c)))

    @rule(c=st.integers(0, 99))
    def restore_card(self, c: int) -> None:
        self.do(o.RestoreCard(card=self.card(c)))

    @precondition(lambda self: bool(self.board.archived_cards()))
    @rule(c=st.integers(0, 99))
    def restore_archived(self, c: int) -> None:
        archived = self.board.archived_cards()
        self.do(o.RestoreCard(card=archived[c % len(archived)].id))

    @rule(title=text_st, i=st.none() | index_st)
    def add_column(self, title: str, i: int | None) -> None:
        self.do(o.AddColumn(title=title, index=i))

    @rule(col=st.integers(0, 99), title=text_st)
    def rename_column(self, col: int, title: str) -> None:
        self.do(o.RenameColumn(column=self.col(col), title=title))

    @rule(col=st.integers(0, 99), i=index_st)
    def move_column(self, col: int, i: int) -> None:
        self.do(o.MoveColumn(column=self.col(col), index=i))

    @rule(col=st.integers(0, 99))
    def remove_column(self, col: int) -> None:
        self.do(o.RemoveColumn(column=self.col(col)))

    @rule(name=text_st)
    def rename_forum(self, name: str) -> None:
        self.do(o.RenameForum(name=name))

    @rule(n=st.integers(0, 99))
    def start_session(self, n: int) -> None:
        self.do(o.StartSession(), n)

    @rule(n=st.integers(0, 99))
    def end_session(self, n: int) -> None:
        self.do(o.EndSession(), n)

    @rule(text=text_st, c=st.integers(0, 99), n=st.integers(0, 99))
    def record_decision(self, text: str, c: int, n: int) -> None:
        self.do(o.RecordDecision(text=text, cards=(self.card(c),) if c % 2 else ()), n)

    @rule(text=text_st, c=st.integers(0, 99), n=st.integers(0, 99))
    def add_next_step(self, text: str, c: int, n: int) -> None:
        cards = (self.card(c),) if c % 2 else ()
        self.do(
            o.AddNextStep(
                text=text, owner=ACTORS[n % 3], due=dt.date(2030, 1, 1 + n % 28), cards=cards
            ),
            n,
        )

    @precondition(lambda self: bool(self.board.next_steps))
    @rule(
        s=st.integers(0, 99),
        status=st.sampled_from(STATUSES),
        n=st.integers(0, 99),
    )
    def update_next_step(self, s: int, status: StepStatus, n: int) -> None:
        self.do(o.UpdateNextStep(step=self.step_id(s), status=status), n)

    @rule(names=st.lists(st.sampled_from([*ACTORS, "Dee", " ", "Eve "]), max_size=3))
    def note_presence(self, names: list[str]) -> None:
        self.do(o.NotePresence(names=tuple(names)))

    # -- what must always hold ------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        # SPEC R17: every live card in exactly one column, ranks strictly increasing.
        assert check(self.board) == []
        for col in self.board.columns:
            assert all(len(self.board.cards[c].rank) <= ranks.MAX_RANK_LEN for c in col.card_ids)

    @invariant()
    def clients_converge(self) -> None:
        # SPEC R5, R17: applying the events in order, placing by rank, gives the server's board.
        self.client.matches(self.board)

    def teardown(self) -> None:
        # The log replays to exactly the same board (rooms reload from it).
        again = replay(self.initial, self.log)
        assert again == self.board
        assert msgspec.json.encode(again) == msgspec.json.encode(self.board)


TestBoardMachine = BoardMachine.TestCase
TestBoardMachine.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


# -- concurrent moves of one card (SPEC R5) ---------------------------------------------


@st.composite
def boards(draw: st.DrawFn) -> Board:
    board = new_board("f", "sos", "SoS")
    cols = [c.id for c in board.columns]
    for _ in range(draw(st.integers(1, 12))):
        op = o.AddCard(
            column=draw(st.sampled_from(cols)), title="t", index=draw(st.none() | index_st)
        )
        board, _ = apply(board, op, Context(seq=board.seq + 1, at=0.0, actor="Ann"))
    return board


@settings(max_examples=200, deadline=None)
@given(board=boards(), data=st.data())
def test_concurrent_moves_later_one_wins(board: Board, data: st.DataObject) -> None:
    card = data.draw(st.sampled_from(sorted(board.cards)))
    cols = [c.id for c in board.columns]
    moves = [
        o.MoveCard(card=card, column=data.draw(st.sampled_from(cols)), index=data.draw(index_st))
        for _ in range(2)
    ]
    for first, second in (moves, moves[::-1]):
        sync = ForumSync(board, "e")
        client = Client(board)
        outcomes = [
            sync.submit(m, op_id=f"id{k}", actor="Ann", at=1.0)
            for k, m in enumerate((first, second))
        ]
        for outcome in outcomes:
            assert isinstance(outcome, Accepted | Unchanged)
            if isinstance(outcome, Accepted):
                for event in outcome.item.events:
                    client.apply(event)
        final = sync.board
        assert check(final) == []
        client.matches(final)
        # The move with the higher seq is where the card stays.
        col = final.column(second.column)
        assert col is not None and final.cards[card].column == second.column
        others = [c for c in col.card_ids if c != card]
        assert col.card_ids.index(card) == min(second.index, len(others))
        original = board.column(second.column)
        assert original is not None and others == [c for c in original.card_ids if c != card]
