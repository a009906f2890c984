"""Schemathesis against the published OpenAPI schema: no input makes the API fail.

It generates requests from ``/schema/openapi.json`` (valid and invalid bodies, paths and
queries, plus stateful sequences that follow the links between operations) and checks
that the server never answers with a 5xx. The server must still be healthy after it.
The requests carry the admin's bearer token, so they get past access and reach the
routes themselves.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess

SCHEMATHESIS = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "fuzz.db", demo=True).start()
    yield proc
    proc.stop()


def test_no_generated_request_gets_a_server_error(demo_server: ServerProcess) -> None:
    result = subprocess.run(
        [
            *SCHEMATHESIS,
            "run",
            f"{demo_server.url}/schema/openapi.json",
            "--checks",
            "not_a_server_error",
            # As the admin, so the requests reach every route's own checks (docs/access.md).
            "--header",
            f"Authorization: Bearer {demo_server.admin_token}",
            "--max-examples",
            "25",
            "--seed",
            "20261125",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=demo_server.db.parent,  # its .schemathesis cache stays in the temp dir
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "passed" in output, output[-4000:]
    status, health = demo_server.request("GET", "/healthz")
    assert status == 200 and health["status"] == "ok", health
    log = demo_server.log_path.read_text()
    assert "Traceback" not in log, log[-4000:]
