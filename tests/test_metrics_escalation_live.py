"""Escalation metrics from a real server: escalate, accept and remove in the EAT.

The metrics are read from the stored logs. The SoS client sees each status the EAT's
mail brings before that status is committed (SPEC R9), so the test waits for the ack of
an op of its own after it (R8a) before it reads: no timing."""

from __future__ import annotations

from tests.support import LiveClient, ServerProcess, close_all, on_disk
from tests.test_escalation_live import call, edited, escalate, event, linked_pair


async def test_escalation_metrics_of_the_sos_eat_and_network(server: ServerProcess) -> None:
    # SPEC R8a, R18, R18a
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    try:
        added = await s.call({"type": "add_card", "column": "new", "title": "No staging"})
        card = f"c{added['seq']}"
        out = await escalate(server, sos["id"], card)
        target = out["target_card"]["id"]
        for column in ("accepted", "removed"):
            move = {"type": "move_card", "card": target, "column": column, "index": 0}
            assert (await e.call(move))["type"] == "ack"
            await event(s, edited(card, column))
        await on_disk(s)  # the last status is on the SoS's disk (R8a); the EAT's moves
        # were acked (R8), so they are on its disk already
    finally:
        await close_all([s, e])

    status, report = await call(server, "GET", f"/api/forums/{sos['id']}/metrics?days=7")
    assert status == 200, report
    esc = report["metrics"]["escalations"]
    assert esc["available"] is True
    assert (esc["sent"], esc["received"]) == (1, 0)
    assert esc["outcomes"] == {
        "open": 0, "accepted": 0, "in_progress": 0, "removed": 1, "returned": 0, "failed": 0,
    }  # fmt: skip
    assert esc["time_to_accept"]["count"] == 1 and esc["time_to_close"]["count"] == 1
    accept, close = esc["time_to_accept"]["median"], esc["time_to_close"]["median"]
    assert 0 <= accept <= close < 60
    [item] = esc["items"]
    assert (item["card_id"], item["direction"], item["other_forum"], item["other_card"]) == (
        card, "sent", eat["id"], target,
    )  # fmt: skip
    assert (item["outcome"], item["status"], item["closed_how"]) == (
        "removed",
        "removed",
        "removed",
    )

    status, report = await call(server, "GET", f"/api/forums/{eat['id']}/metrics?days=7")
    assert status == 200, report
    got = report["metrics"]["escalations"]
    assert (got["sent"], got["received"], got["outcomes"]["removed"]) == (0, 1, 1)

    status, report = await call(server, "GET", "/api/metrics?days=7")
    assert status == 200, report
    net = report["metrics"]["escalations"]
    assert net["sent"] >= 1 and net["received"] >= 1
    # Counted once, as the EAT recorded it.
    mine = [
        i
        for i in net["items"]
        if (i["forum_id"], i["card_id"]) in ((sos["id"], card), (eat["id"], target))
    ]
    assert [(i["forum_id"], i["direction"], i["outcome"]) for i in mine] == [
        (eat["id"], "received", "removed")
    ]

    status, page = await call(server, "GET", f"/forums/{sos['id']}/metrics?days=7")
    assert status == 200
    assert 'id="chart-escalations"' in page and 'data-outcome="removed">1<' in page
