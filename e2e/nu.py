"""The W3C Nu HTML Checker (``vnu.jar``) for the browser tests: installed from the npm
registry on first use (package ``vnu-jar``, into ``.vnu/`` at the repository's root,
ignored by git), run with the machine's ``java`` over files in one process.

``check(files)`` returns the checker's errors (its warnings are not counted)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_DIR = ROOT / ".vnu"
VNU_SPEC = "vnu-jar@26"
VNU_JAR = VNU_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_jar() -> Path:
    """``vnu.jar``, installed with npm on first use; the test fails if it cannot be."""
    if not VNU_JAR.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install the Nu HTML Checker (vnu-jar)", pytrace=False)
        VNU_DIR.mkdir(exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(VNU_DIR), "--no-audit", "--no-fund", VNU_SPEC],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not VNU_JAR.exists():
            pytest.fail(f"npm install {VNU_SPEC} failed:\n{done.stdout}\n{done.stderr}")
    if shutil.which("java") is None:
        pytest.fail("java is needed to run the Nu HTML Checker (apt-get install default-jre)")
    return VNU_JAR


def check(files: list[Path]) -> list[dict[str, Any]]:
    """The Nu checker's errors over ``files`` (each with ``url``, ``lastLine``, ``message``)."""
    done = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages: list[dict[str, Any]] = json.loads(done.stdout or "{}").get("messages", [])
    return [m for m in messages if m.get("type") in ("error", "non-document-error")]
