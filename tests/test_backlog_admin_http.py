"""The admin chooses a MetaScrum's Scaled Backlog on ``/admin`` (SPEC R57, R76), on a real
server: the select and its success message, re-pairing unpairs the old Scaled Backlog
live (its event and its ``#pair-note`` region), the old lists stop mirroring, "none"
outlives a restart, and bad input (unknown forum, wrong kind, a Scaled Backlog already
taken, no CSRF token, not the admin) is refused with its reason and changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import HttpResponse, LiveClient, ServerProcess
from tests.test_access import cookie_of, csrf_pair, open_link
from tests.test_backlog_sync_live import ordered, until
from tests.test_escalation_live import call


@pytest.fixture
def own(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "board.db").start()
    yield proc
    proc.stop()


async def choose(server: ServerProcess, meta: str, backlog: str, **kw: Any) -> HttpResponse:
    """The admin's form on ``/admin`` (``backlog`` ``""``: none)."""
    return await asyncio.to_thread(
        server.form, f"/admin/forums/{meta}/backlog", {"backlog": backlog}, **kw
    )


def pair_of(server: ServerProcess, forum_id: str) -> Any:
    status, got = server.request("GET", f"/api/forums/{forum_id}/backlog")
    assert status == 200, got
    return got["forum"]


def pairs(server: ServerProcess, *forums: str) -> list[Any]:
    return [pair_of(server, f) for f in forums]


async def test_the_admin_pairs_and_repairs_a_metascrum_on_the_admin_page(
    own: ServerProcess,
) -> None:
    """SPEC R76, R57: the MetaScrum's select lists the Scaled Backlogs and "none"; saving
    one pairs the boards and says so; choosing another unpairs the old Scaled Backlog at
    once (``backlog_unpaired`` and its hidden ``#pair-note``, live), the old lists stop
    mirroring and the MetaScrum's items go to the new one; "none" unpairs both."""
    meta = own.new_forum("metascrum", "MetaScrum Form")["id"]
    own.new_forum("metascrum", "MetaScrum Other")
    old = own.new_forum("backlog", "Backlog Old")["id"]
    new = own.new_forum("backlog", "Backlog New")["id"]
    sos = own.new_forum("sos", "SoS Form")["id"]
    page = own.http("GET", "/admin").text
    assert f'action="/admin/forums/{meta}/backlog"' in page
    assert f'action="/admin/forums/{sos}/backlog"' not in page  # MetaScrums only
    assert f'<option value="{old}">Backlog Old</option>' in page
    assert "None: its own list only" in page

    r = await choose(own, meta, old)
    assert r.status == 303 and r.headers["location"] == f"/admin?backlog={meta}#forum-{meta}"
    saved = own.http("GET", r.headers["location"].split("#")[0]).text
    assert "Saved: the Ordered column of MetaScrum Form is one list with Backlog Old." in saved
    assert f'<option value="{old}" selected>' in saved
    assert pairs(own, meta, old, new) == [old, meta, None]
    status, _ = await call(
        own, "POST", f"/api/forums/{meta}/cards", {"column": "ordered", "title": "Kept"}
    )
    assert status == 201
    await until(lambda: ordered(own, old) == ["Kept"])

    watcher = await LiveClient.connect(own.ws_url(old))
    try:
        r = await choose(own, meta, new)
        assert r.status == 303
        batch = await watcher.expect(
            "batch",
            match=lambda m: any(
                e["type"] == "backlog_unpaired" for i in m["items"] for e in i["events"]
            ),
        )
        [unpaired] = [e for i in batch["items"] for e in i["events"]]
        assert unpaired == {"type": "backlog_unpaired", "forum": meta, "name": "MetaScrum Form"}
        note = batch["html"]["region:pair-note"]
        assert 'id="pair-note"' in note and " hidden" in note and "MetaScrum Form" not in note
    finally:
        await watcher.close()
    assert pairs(own, meta, old, new) == [new, None, meta]
    assert "One list with the Ordered column of" not in own.http("GET", f"/forums/{old}").text
    assert own.board(old)["unpaired"] == [meta]
    await until(lambda: ordered(own, new) == ["Kept"])  # the MetaScrum's own item goes over
    status, _ = await call(
        own, "POST", f"/api/forums/{old}/cards", {"column": "ordered", "title": "Old only"}
    )
    assert status == 201
    status, _ = await call(
        own, "POST", f"/api/forums/{meta}/cards", {"column": "ordered", "title": "Both"}
    )
    assert status == 201
    await until(lambda: ordered(own, new) == ["Kept", "Both"])
    assert ordered(own, old) == ["Kept", "Old only"] and ordered(own, meta) == ["Kept", "Both"]

    r = await choose(own, meta, "")
    assert r.status == 303
    saved = own.http("GET", r.headers["location"].split("#")[0]).text
    assert "Saved: MetaScrum Form shares its Ordered column with no Scaled Backlog" in saved
    assert pairs(own, meta, old, new) == [None, None, None]


async def test_bad_choices_are_refused_with_their_reason_and_change_nothing(
    own: ServerProcess,
) -> None:
    """SPEC R76: an unknown forum, a forum that is no Scaled Backlog, a forum that is no
    MetaScrum choosing, a Scaled Backlog another MetaScrum has, a form without its CSRF
    token and anyone but the admin: each refused with the reason, nothing changed."""
    meta = own.new_forum("metascrum", "MetaScrum Bad")["id"]
    other = own.new_forum("metascrum", "MetaScrum Taken")["id"]
    backlog = own.new_forum("backlog", "Backlog Bad")["id"]
    eat = own.new_forum("eat", "EAT Bad")["id"]
    assert (await choose(own, other, backlog)).status == 303
    before = pairs(own, meta, other, backlog)
    assert before == [None, backlog, other]
    for forum, choice, status, reason in (
        (meta, "nope", 400, "There is no forum &#39;nope&#39; to choose."),
        (meta, eat, 400, "EAT Bad is an Executive Action Team, not a Scaled Backlog."),
        (backlog, backlog, 400, "only a MetaScrum chooses its Scaled Backlog"),
        (meta, backlog, 400, "Backlog Bad is already the Scaled Backlog of MetaScrum Taken"),
        ("missing", backlog, 404, "There is no forum &#39;missing&#39;."),
    ):
        r = await choose(own, forum, choice)
        assert r.status == status, (forum, choice, r.status)
        assert reason in r.text, r.text[-1500:]
        assert pairs(own, meta, other, backlog) == before
    status, got = await call(own, "POST", f"/api/forums/{meta}/backlog", {"forum": eat})
    assert status == 400 and got["code"] == "invalid", got
    assert got["reason"] == "EAT Bad is an Executive Action Team, not a Scaled Backlog."

    admin = cookie_of(open_link(own, f"/admin/enter?token={own.admin_token}"))
    csrf_cookie, field = csrf_pair(own, admin, "/admin")
    cookies = {"cookie": f"{admin}; {csrf_cookie}"}
    r = await choose(own, other, "", headers=cookies, auth=False)  # no CSRF field
    assert r.status == 403 and pairs(own, meta, other, backlog) == before
    participant = own.links(other)["participant"]
    r = await choose(own, other, "", headers={"authorization": f"Bearer {participant}"})
    assert r.status in (401, 403) and pairs(own, meta, other, backlog) == before
    r = await asyncio.to_thread(
        own.form,
        f"/admin/forums/{other}/backlog",
        {"backlog": "", "csrf": field},
        cookies,
        auth=False,
    )
    assert r.status == 303 and pairs(own, meta, other, backlog) == [None, None, None]


async def test_none_outlives_a_restart(own: ServerProcess) -> None:
    """SPEC R76, R57: the only MetaScrum and the only Scaled Backlog pair by themselves;
    "none" (the API's ``null``) unpairs them, and they stay apart after a restart."""
    meta = own.new_forum("metascrum", "MetaScrum Alone")["id"]
    backlog = own.new_forum("backlog", "Backlog Alone")["id"]
    assert pairs(own, meta, backlog) == [backlog, meta]
    status, got = await call(own, "POST", f"/api/forums/{meta}/backlog", {"forum": None})
    assert (status, got) == (200, {"forum": None, "name": ""})
    assert pairs(own, meta, backlog) == [None, None]
    own.stop()
    own.start()
    assert pairs(own, meta, backlog) == [None, None]
    page = own.http("GET", "/admin").text
    assert '<option value="" selected>None: its own list only</option>' in page
