"""The API documentation under ``/schema`` comes from this server alone: every script,
stylesheet and icon its pages reference is same-origin and answers 200, and the pages
need nothing the CSP forbids (no inline script or style), so they render offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.support import ServerProcess

PAGES = ("/schema", "/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc")


class Assets(HTMLParser):
    """The addresses a page loads (scripts, stylesheets, icons, images, fonts), and
    whether it has inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.urls.append(str(a["src"]))
            else:
                self._in = "script"
        elif tag == "link" and a.get("href"):
            self.urls.append(str(a["href"]))
        elif tag in ("img", "iframe") and a.get("src"):
            self.urls.append(str(a["src"]))
        elif tag == "style":
            self._in = "style"
        if a.get("style"):
            self.inline.append(f"style attribute on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in and data.strip():
            self.inline.append(f"<{self._in}>{data[:60]}")

    def handle_endtag(self, tag: str) -> None:
        self._in = None


@pytest.mark.parametrize("path", PAGES)
def test_the_schema_pages_load_only_same_origin_assets(server: ServerProcess, path: str) -> None:
    r = server.http("GET", path, auth=False)
    assert r.status == 200, (path, r.status)
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = Assets()
    page.feed(r.text)
    assert page.inline == [], page.inline  # the CSP would block them
    assert not re.search(r"https?://|//[a-z]", r.text, re.I), "an address elsewhere"
    assert any(u.endswith("swagger-ui-bundle.js") for u in page.urls), page.urls
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = server.http("GET", url, auth=False)
        assert asset.status == 200, (url, asset.status)
    assert 'data-schema-url="/schema/openapi.json"' in r.text


def test_the_schema_itself_and_the_vendored_licence_are_served(server: ServerProcess) -> None:
    r = server.http("GET", "/schema/openapi.json", auth=False)
    assert r.status == 200 and r.json()["info"]["title"] == "Scaleboard"
    assert server.http("GET", "/schema/openapi.yaml", auth=False).status == 200
    licence = server.http("GET", "/static/vendor/swagger-ui/LICENSE", auth=False)
    assert licence.status == 200 and "Apache License" in licence.text
