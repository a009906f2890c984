"""axe-core in the E2E browser: installed from the npm registry on first use, injected
into a page, run there.

``axe_source()`` installs ``axe-core@4`` into ``.axe/`` at the repository's root with
``npm install`` when it is not there yet (``.axe/`` is ignored by git; a clean clone
installs it on its first run, ``scripts/test`` makes sure ``npm`` exists). The pages'
CSP allows no inline script, so the browser context that runs axe is made with
``bypass_csp=True``: only the test's own injected script gets through.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

ROOT = Path(__file__).resolve().parent.parent
AXE_DIR = ROOT / ".axe"
AXE_SPEC = "axe-core@4"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_source() -> str:
    """The text of ``axe.min.js``, installed with npm on first use."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is needed to install axe-core for the accessibility tests "
                "(Debian: apt-get install npm; scripts/test installs it).",
                pytrace=False,
            )
        AXE_DIR.mkdir(exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", AXE_SPEC],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not AXE_JS.exists():
            pytest.fail(f"npm install {AXE_SPEC} failed:\n{done.stdout}\n{done.stderr}")
    return AXE_JS.read_text()


RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({
      target: n.target.join(" "),
      summary: n.failureSummary,
    })),
  }));
}"""


async def violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (every impact)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(content=source)
    found: list[dict[str, Any]] = await page.evaluate(RUN)
    return found


def serious(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in SERIOUS]


def report(where: str, found: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in found:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"]:
            lines.append(f"      {n['target']}: {n['summary']}")
    return "\n".join(lines)
