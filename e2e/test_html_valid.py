"""Every page kind is valid HTML for the W3C Nu checker (issue 13: it reported
``aria-label`` on a ``div``/``span`` without a role on the board, session, replay, what
changed and projector pages): 0 errors on the page the server sends, for each kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.support import ServerProcess

from .layout import PAGE_KINDS, SOS
from .nu import check
from .support import enter_named

pytestmark = pytest.mark.e2e


async def test_every_page_kind_has_no_nu_errors(
    browser: Browser, demo: ServerProcess, tmp_path: Path
) -> None:
    context = await browser.new_context(base_url=demo.url)
    page = await context.new_page()
    await enter_named(page, demo, SOS, "Maya Chen")
    files: list[Path] = []
    for kind, address in PAGE_KINDS:
        response = await page.request.get(address)
        path = tmp_path / (re.sub(r"\W+", "-", kind) + ".html")
        path.write_bytes(await response.body())
        files.append(path)
    await context.close()
    errors = check(files)
    lines = [f"{Path(e['url']).stem}:{e.get('lastLine')}: {e['message']}" for e in errors]
    assert not errors, "Nu HTML Checker errors:\n" + "\n".join(lines)
