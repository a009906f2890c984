"""Escalation with a note and a waiting column, outcomes that move the card back or to
removed (SPEC R50), and a returned card escalated again reopening the same linked card
(SPEC R51). Two boards, the mail between them delivered as the server delivers it:
each accepted item's ``mail_for`` applied on the forum it is for."""

from __future__ import annotations

import asyncio

from board import events as ev
from board import ops as o
from board.describe import describe
from board.mail import mail_for, refused_reply
from board.model import Board, new_board
from board.network import open_impediments
from board.sync import Accepted, ForumSync
from tests.support import LiveClient, ServerProcess, close_all, name_cookie
from tests.test_apply import play, refused, run
from tests.test_escalation_live import call, edited, event, linked_pair

LIVE = frozenset[str]()  # a live decision (``Context.live``), not a replay


class Pair:
    """A Scrum of Scrums and its EAT, with the mail between them delivered at once."""

    def __init__(self) -> None:
        self.syncs = {
            "sos": ForumSync(new_board("sos", "sos", "SoS A"), "e"),
            "eat": ForumSync(new_board("eat", "eat", "EAT"), "e"),
        }

    def board(self, forum: str) -> Board:
        return self.syncs[forum].board

    def do(self, forum: str, op: o.Op, actor: str = "Ann") -> Accepted:
        outcome = self.syncs[forum].submit(op, op_id=None, actor=actor, at=10.0, teams=LIVE)
        assert isinstance(outcome, Accepted), outcome
        for mail in mail_for(outcome.item, outcome.board):
            self.do(mail.to_forum, mail.op, actor="")
        return outcome

    def escalate(self, card: str, note: str = "") -> Accepted:
        return self.do(
            "sos",
            o.EscalateCard(
                card=card, to_forum="eat", to_name="EAT", to_kind="eat", note=note,
                wait_in="needs-eat",
            ),
        )  # fmt: skip

    def copy(self, card: str = "c1") -> str:
        found = [
            c.id
            for c in self.board("eat").cards.values()
            if c.origin is not None and c.origin.card == card
        ]
        assert len(found) == 1, found
        return found[0]


def pair_with_card(column: str = "new") -> Pair:
    p = Pair()
    p.do("sos", o.AddCard(column=column, title="No test env", body="since May"))
    return p


def test_escalating_moves_the_card_to_wait_and_sends_the_note() -> None:  # SPEC R50
    p = pair_with_card("removing")
    p.escalate("c1", note="Needs a budget decision")
    card = p.board("sos").cards["c1"]
    assert card.column == "needs-eat"
    assert card.sent_to is not None
    assert (card.sent_to.asked, card.sent_to.waits_in, card.sent_to.left) == (
        "Needs a budget decision",
        "needs-eat",
        "removing",
    )
    linked = p.board("eat").cards[p.copy()]
    assert linked.column == "escalated"
    assert linked.origin is not None and linked.origin.asked == "Needs a budget decision"
    assert card.sent_to.card == linked.id


def test_a_route_without_a_waiting_column_leaves_the_card_where_it_is() -> None:  # SPEC R50
    sos = play(new_board("sos", "sos", "SoS"), o.AddCard(column="new", title="x"))
    sos = play(sos, o.RemoveColumn(column="needs-eat"))
    esc = o.EscalateCard(card="c1", to_forum="eat", to_name="E", to_kind="eat", wait_in="needs-eat")
    after, events = run(sos, esc)
    assert after.cards["c1"].column == "new"
    assert after.cards["c1"].sent_to is not None and after.cards["c1"].sent_to.waits_in == ""
    assert [type(e) for e in events] == [ev.CardEdited]


def test_returned_moves_the_card_back_with_the_note() -> None:  # SPEC R50
    p = pair_with_card("removing")
    p.escalate("c1")
    p.do("eat", o.ReturnEscalation(card=p.copy(), note="Teams own their test envs"))
    card = p.board("sos").cards["c1"]
    assert card.column == "removing"
    assert card.sent_to is not None
    assert (card.sent_to.status, card.sent_to.note) == ("returned", "Teams own their test envs")
    # Counted once, back where it is worked (R32a).
    assert (open_impediments(p.board("sos")), open_impediments(p.board("eat"))) == (1, 0)


def test_a_card_moved_on_meanwhile_is_not_moved_back() -> None:  # SPEC R50
    p = pair_with_card()
    p.escalate("c1")
    p.do("sos", o.MoveCard(card="c1", column="removing", index=0))
    p.do("eat", o.ReturnEscalation(card=p.copy(), note="n"))
    assert p.board("sos").cards["c1"].column == "removing"


def test_removed_moves_the_card_to_removed_and_reopened_back_to_wait() -> None:  # SPEC R50
    p = pair_with_card()
    p.escalate("c1")
    eat_card = p.copy()
    p.do("eat", o.MoveCard(card=eat_card, column="accepted", index=0))
    assert p.board("sos").cards["c1"].column == "needs-eat"  # accepted: still waiting
    p.do("eat", o.MoveCard(card=eat_card, column="removed", index=0))
    card = p.board("sos").cards["c1"]
    assert card.column == "removed" and card.sent_to is not None
    assert card.sent_to.status == "removed"
    assert (open_impediments(p.board("sos")), open_impediments(p.board("eat"))) == (0, 0)
    p.do("eat", o.MoveCard(card=eat_card, column="in-progress", index=0))
    assert p.board("sos").cards["c1"].column == "needs-eat"


def test_a_refused_escalation_moves_the_card_back() -> None:  # SPEC R50
    p = pair_with_card()
    sent = p.escalate("c1")
    (mail,) = mail_for(sent.item, sent.board)
    # Delivered again, as if the target had refused it: the reply moves the card back.
    assert isinstance(mail.op, o.ReceiveEscalation)
    reply = refused_reply(mail.op, "The EAT is full")
    p.do("sos", reply.op, actor="")
    card = p.board("sos").cards["c1"]
    assert card.column == "new" and card.sent_to is not None
    assert card.sent_to.status == "failed"


def test_returning_is_refused_for_a_removed_or_returned_card() -> None:  # SPEC R50
    p = pair_with_card()
    p.escalate("c1")
    eat_card = p.copy()
    p.do("eat", o.ReturnEscalation(card=eat_card, note="first"))
    eat = p.board("eat")
    reason = refused(eat, o.ReturnEscalation(card=eat_card, note="again"), "conflict", LIVE)
    assert "already" in reason
    q = pair_with_card()
    q.escalate("c1")
    q.do("eat", o.MoveCard(card=q.copy(), column="removed", index=0))
    reason = refused(
        q.board("eat"), o.ReturnEscalation(card=q.copy(), note="late"), "conflict", LIVE
    )
    assert "removed" in reason
    # Taken out of Returned by hand and worked on again: it may go back once more.
    eat_card = p.copy()
    p.do("eat", o.MoveCard(card=eat_card, column="accepted", index=0))
    p.do("eat", o.ReturnEscalation(card=eat_card, note="second thoughts"))
    assert p.board("sos").cards["c1"].sent_to.note == "second thoughts"  # type: ignore[union-attr]


def test_a_returned_card_escalated_again_reopens_the_same_card() -> None:  # SPEC R51
    p = pair_with_card("removing")
    p.escalate("c1", note="first ask")
    eat_card = p.copy()
    created = p.board("eat").cards[eat_card].created_at
    p.do("eat", o.ReturnEscalation(card=eat_card, note="Try the platform team first"))
    sos_created = p.board("sos").cards["c1"].created_at
    p.escalate("c1", note="Platform cannot: it is a licence")
    sos_card = p.board("sos").cards["c1"]
    assert sos_card.column == "needs-eat" and sos_card.created_at == sos_created
    assert sos_card.sent_to is not None
    assert (sos_card.sent_to.status, sos_card.sent_to.card, sos_card.sent_to.note) == (
        "escalated",
        eat_card,
        "",
    )
    assert sos_card.sent_to.left == "removing"
    again = p.copy()  # still exactly one linked card
    assert again == eat_card
    reopened = p.board("eat").cards[eat_card]
    assert reopened.column == "escalated" and reopened.created_at == created
    assert reopened.origin is not None
    assert (reopened.origin.status, reopened.origin.note, reopened.origin.asked) == (
        "",
        "",
        "Platform cannot: it is a licence",
    )
    assert (open_impediments(p.board("sos")), open_impediments(p.board("eat"))) == (0, 1)
    # And it can be returned once more.
    p.do("eat", o.ReturnEscalation(card=eat_card, note="Still no"))
    assert p.board("sos").cards["c1"].column == "removing"


def test_history_says_escalated_again_and_taken_up_again() -> None:  # SPEC R50 R51
    p = pair_with_card()
    before = p.board("sos")
    sent = p.escalate("c1", note="help")
    assert "escalated “No test env” to EAT asking “help”" in describe(
        before, list(sent.item.events), "Sam"
    )
    p.do("eat", o.ReturnEscalation(card=p.copy(), note="no"))
    sos, eat = p.board("sos"), p.board("eat")
    again = p.escalate("c1", note="please")
    line = describe(sos, list(again.item.events), "Sam")
    assert "escalated “No test env” to EAT again asking “please”" in line, line
    receive = o.ReceiveEscalation(
        from_forum="sos", from_name="SoS A", from_kind="sos", from_card="c1",
        column="escalated", kind="impediment", title="No test env", note="please",
    )  # fmt: skip
    _, events = run(eat, receive)
    assert "took “No test env” up again from SoS A" in describe(eat, events, "")


def test_only_a_card_that_came_back_goes_again() -> None:  # SPEC R51
    p = pair_with_card()
    p.escalate("c1")
    esc = o.EscalateCard(card="c1", to_forum="eat", to_name="E", to_kind="eat")
    assert "already" in refused(p.board("sos"), esc, "conflict")
    p.do("eat", o.MoveCard(card=p.copy(), column="removed", index=0))
    refused(p.board("sos"), esc, "conflict", LIVE)  # removed: done with


def test_an_escalation_already_waiting_returns_to_the_column_before() -> None:  # SPEC R50
    p = pair_with_card("needs-eat")
    p.escalate("c1")
    card = p.board("sos").cards["c1"]
    assert card.sent_to is not None and card.sent_to.left == "new"
    p.do("eat", o.ReturnEscalation(card=p.copy(), note="n"))
    assert p.board("sos").cards["c1"].column == "new"


# -- over HTTP and the live socket, against a real server --------------------------------


async def test_the_api_sends_a_note_and_refuses_a_bad_body(server: ServerProcess) -> None:
    # SPEC R50
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    try:
        added = await s.call({"type": "add_card", "column": "removing", "title": "No budget"})
        card = f"c{added['seq']}"
        path = f"/api/forums/{sos['id']}/cards/{card}/escalate"
        before = await call(server, "GET", f"/api/forums/{sos['id']}")
        for body, why in (
            (b"{not json", "malformed"),
            (b'{"note": 5}', "str"),
            (b'{"note": "x", "other": 1}', "other"),
            (('{"note": "%s"}' % ("x" * 2001)).encode(), "2000"),
        ):
            r = await asyncio.to_thread(
                server.http, "POST", path, body, {"content-type": "application/json"}
            )
            assert r.status == 400, (body, r.text)
            assert r.json()["code"] == "invalid" and why in r.json()["reason"], r.text
        assert await call(server, "GET", f"/api/forums/{sos['id']}") == before  # nothing changed

        status, out = await call(server, "POST", path, {"note": "Only the CFO can sign it"})
        assert status == 201, out
        assert out["card"]["column"] == "needs-eat"
        assert out["card"]["sent_to"]["asked"] == "Only the CFO can sign it"
        assert out["target_card"]["origin"]["asked"] == "Only the CFO can sign it"
        moved = await event(s, lambda e: e["type"] == "card_moved" and e["card_id"] == card)
        assert (moved["from_column"], moved["column"]) == ("removing", "needs-eat")
        # The EAT's page shows what it was asked.
        who = {**name_cookie(server, "Erin"), **server.auth}
        page = await asyncio.to_thread(server.http, "GET", f"/forums/{eat['id']}", None, who)
        assert page.status == 200, page.status
        assert "asks: “Only the CFO can sign it”" in page.text
    finally:
        await close_all([s])


async def test_a_returned_card_goes_again_to_the_same_card_live(server: ServerProcess) -> None:
    # SPEC R50 R51
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    try:
        added = await s.call({"type": "add_card", "column": "new", "title": "Licences"})
        card = f"c{added['seq']}"
        path = f"/api/forums/{sos['id']}/cards/{card}/escalate"
        status, out = await call(server, "POST", path)  # no body: no note
        assert status == 201, out
        target = out["target_card"]["id"]
        answer = await e.call({"type": "return_escalation", "card": target, "note": "Ask IT"})
        assert answer["type"] == "ack", answer
        back = await event(s, edited(card, "returned"))
        assert back["card"]["column"] == "new" and back["card"]["sent_to"]["note"] == "Ask IT"
        again = await e.call({"type": "return_escalation", "card": target, "note": "twice"})
        assert again["type"] == "reject" and again["code"] == "conflict", again

        status, out = await call(server, "POST", path, {"note": "IT says it is yours"})
        assert status == 201, out
        assert out["target_card"]["id"] == target  # the same card, reopened
        assert out["target_card"]["column"] == "escalated"
        assert out["target_card"]["origin"]["asked"] == "IT says it is yours"
        assert out["target_card"]["origin"]["note"] == ""
        reopened = await event(e, lambda ev: ev["type"] == "card_moved" and ev["card_id"] == target)
        assert (reopened["from_column"], reopened["column"]) == ("returned", "escalated")
        status, board = await call(server, "GET", f"/api/forums/{eat['id']}")
        linked = [c for c in board["cards"].values() if c["origin"] and c["origin"]["card"] == card]
        assert [c["id"] for c in linked] == [target]
        status, seen = await call(server, "GET", f"/api/forums/{sos['id']}/cards/{card}")
        assert seen["column"] == "needs-eat" and seen["sent_to"]["card"] == target
        assert seen["created_at"] == back["card"]["created_at"]  # its age kept
    finally:
        await close_all([s, e])
