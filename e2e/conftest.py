"""Fixtures for the browser tests: one Chromium for the run, a real server per test,
and people (browser contexts with their own name cookie) on a fresh forum.

The browser is Debian's Chromium at /usr/bin/chromium when it exists, else
Playwright's own download. If no browser can be launched the tests FAIL with the
reason: CI must never pass by silently skipping the E2E suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Playwright, async_playwright, expect

from tests.support import ServerProcess

from .axe import axe_source
from .support import Join, PageErrors, Person, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def _launch(pw: Playwright) -> Browser:
    failures: list[str] = []
    if CHROMIUM.exists():
        try:
            return await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Exception as e:
            failures.append(f"{CHROMIUM}: {e}")
    try:
        return await pw.chromium.launch()
    except Exception as e:
        failures.append(f"Playwright's own Chromium: {e}")
    pytest.fail(
        "The E2E tests could not launch a browser (they fail rather than skip):\n"
        + "\n".join(failures)
        + "\nInstall Debian's chromium (apt-get install chromium) "
        "or run `python -m playwright install chromium`.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    expect.set_options(timeout=10_000)
    pw = await async_playwright().start()
    try:
        chromium = await _launch(pw)
    except BaseException:
        await pw.stop()
        raise
    yield chromium
    await chromium.close()
    await pw.stop()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server of its own on a fresh SQLite file (so tests can stop and kill it)."""
    async with running(tmp_path / "board.db") as proc:
        yield proc


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server with the demo network: teams, forums of every kind, a past session."""
    async with running(tmp_path / "demo.db", demo=True) as proc:
        yield proc


@pytest.fixture(scope="session")
def axe() -> str:
    """axe-core's source, injected by the accessibility tests (``e2e/axe.py``)."""
    return axe_source()


@pytest.fixture
async def forum(server: ServerProcess) -> dict[str, Any]:
    """A new Scrum of Scrums forum: columns new, removing, needs-eat, removed."""
    return await asyncio.to_thread(server.new_forum, "sos", "E2E forum")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
async def join(
    browser: Browser, server: ServerProcess, forum: dict[str, Any], page_errors: PageErrors
) -> AsyncIterator[Join]:
    """``await join("Maya")``: a new person on the test's forum, live, through its
    facilitator link (``role="participant"`` or ``"viewer"`` for the others)."""
    people: list[Person] = []

    async def join_(name: str, forum_id: str | None = None, role: str = "facilitator") -> Person:
        forum_id = forum_id or forum["id"]
        person = await Person.open(browser, server, forum_id, name, page_errors, role)
        people.append(person)
        return person

    yield join_
    for person in people:
        await person.context.close()
    page_errors.check()  # anything logged after the test body (reported as an error)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself when one of its pages logged an error or threw."""
    result = yield
    errors = getattr(item, "funcargs", {}).get("page_errors")
    if isinstance(errors, PageErrors):
        errors.check()
    return result
