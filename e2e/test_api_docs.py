"""The API documentation renders in a real browser with no network beyond the server:
every request elsewhere is refused, and the page still shows the API's title and its
operations, under the app's own CSP (no console error, no CSP violation)."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.async_api import Browser, Route, expect

from tests.support import ServerProcess

pytestmark = pytest.mark.e2e


async def test_the_api_docs_render_offline(browser: Browser, server: ServerProcess) -> None:
    context = await browser.new_context()
    elsewhere: list[str] = []
    errors: list[str] = []

    async def offline(route: Route) -> None:
        url = route.request.url
        if urllib.parse.urlsplit(url).netloc == f"127.0.0.1:{server.port}":
            await route.continue_()
        else:  # a meeting room without internet: nothing elsewhere answers
            elsewhere.append(url)
            await route.abort()

    await context.route("**/*", offline)
    try:
        page = await context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server.url}/schema")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Scaleboard")
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        assert await page.locator(".opblock").count() > 10
        assert elsewhere == [], elsewhere
        assert errors == [], errors
    finally:
        await context.close()
