"""Server-rendered pages against a real server: forms, names, boards, escaping, CSP."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.support import HttpResponse, LiveClient, ServerProcess, name_cookie

Forum = dict[str, Any]


def forum_ids(server: ServerProcess) -> set[str]:
    status, forums = server.request("GET", "/api/forums")
    assert status == 200
    return {f["id"] for f in forums}


def is_html(r: HttpResponse) -> bool:
    return r.headers.get("content-type", "").startswith("text/html")


def add_card(server: ServerProcess, forum: Forum, **fields: Any) -> dict[str, Any]:
    status, card = server.request(
        "POST", f"/api/forums/{forum['id']}/cards", {"column": "new", **fields}
    )
    assert status == 201, card
    return dict(card)


# -- the forum list and the create form ---------------------------------------------------


def test_home_lists_forums_and_the_create_form(server: ServerProcess, forum: Forum) -> None:
    other = server.new_forum("retro", "Retro & friends")
    r = server.http("GET", "/")
    assert r.status == 200 and is_html(r)
    assert f'href="/forums/{forum["id"]}"' in r.text
    assert f'href="/forums/{other["id"]}"' in r.text
    assert "Retro &amp; friends" in r.text
    assert "sos-commerce" not in r.text  # started without the demo
    assert re.search(r'<form method="post" action="/forums"', r.text)
    assert 'name="name"' in r.text and 'name="kind"' in r.text
    for kind in ("sos", "eat", "metascrum", "ems", "retro", "backlog"):
        assert f'<option value="{kind}"' in r.text


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "", "kind": "sos"}, "Give the forum a name."),
        ({"name": "   ", "kind": "sos"}, "Give the forum a name."),
        ({"name": "x" * 81, "kind": "sos"}, "Keep the name to 80 characters or fewer."),
        ({"name": "Fine", "kind": "nonsense"}, "Choose one of the forum kinds."),
    ],
    ids=["empty", "blank", "81-chars", "bad-kind"],
)
def test_create_form_refuses_bad_input(
    server: ServerProcess, fields: dict[str, str], error: str
) -> None:
    before = forum_ids(server)
    r = server.form("/forums", fields)
    assert r.status == 400 and is_html(r)
    assert error in r.text
    assert 'aria-invalid="true"' in r.text
    assert forum_ids(server) == before  # nothing created


def test_create_form_redirects_to_the_new_forum(server: ServerProcess) -> None:
    before = forum_ids(server)
    r = server.form("/forums", {"name": "Scrum of Scrums — Web", "kind": "sos"})
    assert r.status == 303
    location = r.headers["location"]
    assert location.startswith("/forums/scrum-of-scrums-web-")
    (new,) = forum_ids(server) - before
    assert location == f"/forums/{new}"
    assert server.board(new)["name"] == "Scrum of Scrums — Web"


# -- names ---------------------------------------------------------------------------------


def test_forum_page_without_a_name_asks_for_one(server: ServerProcess, forum: Forum) -> None:
    r = server.http("GET", f"/forums/{forum['id']}")
    assert r.status == 303
    assert r.headers["location"] == f"/name?next=/forums/{forum['id']}"
    page = server.http("GET", r.headers["location"])
    assert page.status == 200
    assert f'name="next" value="/forums/{forum["id"]}"' in page.text


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Type the name others will see."),
        ("  ", "Type the name others will see."),
        ("n" * 61, "Keep your name to 60 characters or fewer."),
    ],
    ids=["empty", "blank", "61-chars"],
)
def test_bad_names_are_refused(server: ServerProcess, name: str, error: str) -> None:
    r = server.form("/name", {"name": name, "next": "/forums/x"})
    assert r.status == 400 and is_html(r)
    assert error in r.text
    assert "set-cookie" not in r.headers


def test_a_name_sets_a_cookie_and_goes_back(server: ServerProcess, forum: Forum) -> None:
    target = f"/forums/{forum['id']}"
    r = server.form("/name", {"name": "Maya Chen", "next": target})
    assert r.status == 303 and r.headers["location"] == target
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("sb_name=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    page = server.http("GET", target, headers={"cookie": cookie.split(";", 1)[0]})
    assert page.status == 200 and "Maya Chen" in page.text


def test_a_forged_cookie_is_no_name(server: ServerProcess, forum: Forum) -> None:
    r = server.http("GET", f"/forums/{forum['id']}", headers={"cookie": "sb_name=TWF5YQ==.forged"})
    assert r.status == 303 and r.headers["location"].startswith("/name")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/forums/x",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_name_form_only_redirects_to_local_paths(server: ServerProcess, target: str) -> None:
    here = f"127.0.0.1:{server.port}"
    r = server.form("/name", {"name": "Leo", "next": target})
    assert r.status == 303
    # Resolved as a browser would (urlsplit drops tabs and newlines like the URL spec).
    resolved = urlsplit(urljoin(f"{server.url}/name", r.headers["location"]))
    assert resolved.scheme == "http" and resolved.netloc == here
    # The form's hidden field never carries an off-site target either.
    page = server.http("GET", f"/name?next={quote(target)}")
    found = re.search(r'name="next" value="([^"]*)"', page.text)
    assert found is not None
    kept = urlsplit(urljoin(f"{server.url}/name", html.unescape(found.group(1))))
    assert kept.scheme == "http" and kept.netloc == here


# -- the forum page -------------------------------------------------------------------------


def test_forum_page_renders_columns_and_cards(server: ServerProcess, forum: Forum) -> None:
    add_card(server, forum, title="Staging is down", owner="Maya")
    add_card(server, forum, title="Payments API late", kind="dependency")
    server.request(
        "POST", f"/api/forums/{forum['id']}/cards/c2/move", {"column": "removing", "index": 0}
    )
    r = server.http("GET", f"/forums/{forum['id']}", headers=name_cookie(server, "Ana"))
    assert r.status == 200 and is_html(r)
    assert r.headers.get("cache-control") == "no-store"
    for col, title in (("new", "New"), ("removing", "Being removed"), ("removed", "Removed")):
        assert f'id="col-{col}"' in r.text and f">{title}</h2>" in r.text
    new = r.text.index('id="col-new"')
    removing = r.text.index('id="col-removing"')
    assert new < r.text.index('id="card-c1"') < removing < r.text.index('id="card-c2"')
    assert "Staging is down" in r.text and "Payments API late" in r.text
    assert 'data-seq="3"' in r.text and 'data-forum="' + forum["id"] + '"' in r.text
    assert "You are <strong>Ana</strong>" in r.text


async def test_user_text_is_escaped(server: ServerProcess, forum: Forum) -> None:
    attack = "<script>alert(1)</script>"
    attribute = '"><img src=x onerror=alert(2)>'
    add_card(server, forum, title=attack, body=attribute, owner='Eve" onmouseover="alert(3)')
    server.request(
        "POST", f"/api/forums/{forum['id']}/ops", {"op": {"type": "rename_forum", "name": attack}}
    )
    headers = name_cookie(server, "<b>Mallory</b>")
    for path in (f"/forums/{forum['id']}", "/", f"/forums/{forum['id']}/sessions"):
        r = server.http("GET", path, headers=headers)
        assert r.status == 200, path
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, path
        assert 'onmouseover="alert' not in r.text and "<b>Mallory" not in r.text, path
        assert html.escape(attack, quote=False) in r.text, path
    # The live path renders the same macros, escaped too.
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    regions = "".join(client.received[0]["html"].values())
    assert "<script>alert" not in regions and "<img src=x" not in regions
    assert "&lt;script&gt;" in regions
    await client.close()


def test_unknown_forum_is_a_404_page_with_a_way_home(server: ServerProcess) -> None:
    for path in ("/forums/no-such-forum", "/forums/no-such-forum/sessions"):
        r = server.http("GET", path, headers=name_cookie(server, "Ana"))
        assert r.status == 404 and is_html(r), path
        assert 'href="/"' in r.text and "Not found" in r.text


def test_unknown_session_is_a_404_page(server: ServerProcess) -> None:
    r = server.http("GET", "/sessions/no-such-session")
    assert r.status == 404 and is_html(r)
    assert 'href="/"' in r.text


def test_session_page_after_the_session_ended(server: ServerProcess, forum: Forum) -> None:
    base = f"/api/forums/{forum['id']}"
    add_card(server, forum, title="Flaky staging")
    assert server.request("POST", f"{base}/sessions")[0] == 201
    server.request("POST", f"{base}/decisions", {"text": "Platform <owns> it", "cards": ["c1"]})
    server.request("POST", f"{base}/next-steps", {"text": "Add a health check", "owner": "Maya"})
    status, ended = server.request("POST", f"{base}/sessions/current/end")
    assert status == 201, ended
    session_id = ended["session"]["id"]
    listing = server.http("GET", f"/forums/{forum['id']}/sessions")
    assert listing.status == 200 and f'href="/sessions/{session_id}"' in listing.text
    r = server.http("GET", f"/sessions/{session_id}")
    assert r.status == 200 and is_html(r)
    assert "Platform &lt;owns&gt; it" in r.text
    assert "Add a health check" in r.text and "Maya" in r.text
    assert "Flaky staging" in r.text and "Decisions (1)" in r.text and "Next steps (1)" in r.text
    assert "ended by API" in r.text


# -- headers ----------------------------------------------------------------------------------


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def test_responses_carry_a_strict_content_security_policy(
    server: ServerProcess, forum: Forum
) -> None:
    headers = name_cookie(server, "Ana")
    paths = [
        "/",
        f"/forums/{forum['id']}",
        "/name",
        "/forums/nope",
        "/api/forums",
        "/healthz",
        "/static/js/live.js",
        "/teams.css",
    ]
    for path in paths:
        r = server.http("GET", path, headers=headers)
        csp = r.headers.get("content-security-policy")
        assert csp, path
        rules = directives(csp)
        scripts = rules.get("script-src", rules.get("default-src"))
        assert scripts is not None and "'self'" in scripts, path
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
        assert rules.get("frame-ancestors") == ["'none'"], path
        assert r.headers.get("x-content-type-options") == "nosniff", path
        if is_html(r):
            # Nothing inline that the policy would block: every script is a file.
            for tag in re.findall(r"<script\b[^>]*>", r.text):
                assert "src=" in tag, (path, tag)
            assert not re.search(r"\son[a-z]+=", r.text), path
