"""Schemathesis against the published OpenAPI schema: no input makes the API fail; and
what a schema does not describe: JSON nested past the decoder's limit on every JSON
write route, and ``/static`` paths of arbitrary bytes.

It generates requests from ``/schema/openapi.json`` (valid and invalid bodies, paths and
queries, plus stateful sequences that follow the links between operations) and checks
that the server never answers with a 5xx. The server must still be healthy after it.
The requests carry the admin's bearer token, so they get past access and reach the
routes themselves.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- nesting and odd paths ------------------------------------------------------------------
#
# Schemathesis draws bodies from the schema, so it never nests deeper than the schema
# goes. These send what no schema describes: JSON nested from a few levels to far past
# the decoder's recursion limit (about 1,000 levels, a 2 KB body), to every JSON write
# route and in every field of each, and /static paths of arbitrary bytes.

DEPTHS = (16, 256, 512, 768, 900, 960, 1000, 1100, 5000, 100_000)


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("probe") / "probe.db", demo=True).start()
    yield proc
    proc.stop()


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "0" + "}" * depth


def json_writes(server: ServerProcess) -> list[tuple[str, str, list[str]]]:
    """(method, path with its parameters filled, body fields) of every operation of the
    published schema that takes a JSON body, and the session import."""
    status, schema = server.request("GET", "/schema/openapi.json")
    assert status == 200
    status, forums = server.request("GET", "/api/forums")
    assert status == 200 and forums
    values = {
        "forum_id": forums[0]["id"],
        "card_id": "c1",
        "step_id": "s1",
        "session_id": f"{forums[0]['id']}-1",
        "route_id": "escalate",
        "role": "viewer",
        "standard_id": "st1",
    }
    found = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = content["application/json"]["schema"]
            if "$ref" in body:
                body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            fields = sorted(body.get("properties", {}))
            filled = path
            for name, value in values.items():
                filled = filled.replace("{" + name + "}", value)
            assert "{" not in filled, f"no value for a parameter of {path}"
            found.append((method.upper(), filled, fields))
    assert len(found) >= 10, found
    # The import reads its body itself (an export of any size), so the schema has none.
    found.append(("POST", "/api/import", ["format", "version", "forum", "operations"]))
    return found


def test_no_nesting_depth_makes_a_json_route_fail(probe_server: ServerProcess) -> None:
    json_type = {"content-type": "application/json"}
    for method, path, fields in json_writes(probe_server):
        for depth in DEPTHS:
            for kind in ("array", "object"):
                deep = nested(depth, kind)
                bodies = [deep, *(f'{{"{field}": {deep}}}' for field in fields)]
                for body in bodies:
                    r = probe_server.http(method, path, body, json_type)
                    what = (method, path, depth, kind, body[:40], r.status, r.text[:300])
                    assert 400 <= r.status < 500, what
                    problem = r.json()
                    assert set(problem) == {"code", "reason"} and problem["reason"], what
    status, health = probe_server.request("GET", "/healthz")
    assert status == 200 and health["status"] == "ok", health
    log = probe_server.log_path.read_text()
    assert "Traceback" not in log, log[-4000:]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    segments=st.lists(st.binary(max_size=24), min_size=1, max_size=6),
    nul=st.booleans(),
)
def test_no_static_path_makes_the_server_fail(
    probe_server: ServerProcess, segments: list[bytes], nul: bool
) -> None:
    parts = [urllib.parse.quote_from_bytes(s, safe="") for s in segments]
    if nul:
        parts[-1] += "%00.js"
    path = "/static/" + "/".join(parts)
    r = probe_server.http("GET", path, auth=False)
    assert r.status in (200, 404), (path, r.status, r.text[:300])
    assert r.headers.get("content-security-policy"), path
    for known in ("/static/css/app.css%00.js", "/static/css/app.css/x", "/static/" + "a" * 300):
        assert probe_server.http("GET", known, auth=False).status == 404, known
    log = probe_server.log_path.read_text()
    assert "Traceback" not in log, log[-4000:]
