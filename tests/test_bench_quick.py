"""The benchmark's short run, so that it cannot rot (figures are not checked here:
timing belongs in bench/, not in tests; see docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.pg import URL
from tests.support import ROOT


def test_benchmark_quick_run_completes(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out), "--pg", URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for scenario in (
        "fan-out",
        "cross-check",
        "throughput",
        "connections",
        "stalled client",
        "render",
        "replay",
        "through nginx",
        "scaleout",
        "webhooks",
    ):
        assert scenario in proc.stdout, proc.stdout
    results = json.loads(out.read_text())
    # Every case ran with meeting-like (Poisson) timing and as a named lockstep extra;
    # every move reached every client of both servers, and every move was acked.
    assert [row["timing"] for row in results["fanout"]] == ["poisson", "poisson", "lockstep"]
    for row in results["fanout"]:
        for who in ("scaleboard", "baseline"):
            for run in row["runs"][who]:
                assert run["delivered"] == run["expected"] > 0, run
        for run in row["runs"]["scaleboard"]:
            assert run["acked"] == run["moves"] and run["rejects"] == 0, run
    # The 1,000/s case carries an ack probe in its own process; its moves were all acked.
    probe = results["fanout"][1]["probe"]
    assert probe["acked"] == probe["moves"] > 0 and probe["rejects"] == 0, probe
    # The second client (the websockets library's) ran the cross-check case against both
    # servers, and every move reached every client.
    cross = results["crosscheck"]
    for who in ("scaleboard", "baseline"):
        assert cross[who]["main"] > 0 and cross[who]["websockets"] > 0, cross[who]
        for client in ("main", "websockets"):
            for run in cross["runs"][who][client]:
                assert run["delivered"] == run["expected"] > 0, run
    assert all(t["result"]["rejects"] == 0 for t in results["throughput"])
    assert results["connections"]["scaleboard"]["connections"] > 0
    # The scale-out case ran every configuration; every move its people sent was acked.
    runs = results["scaleout"]["runs"]
    assert set(runs) == {"SQLite K=1", "PostgreSQL K=1", "PostgreSQL K=2"}
    for rounds in runs.values():
        for steps in rounds:
            for s in steps:
                assert s["sent"] > 0 and s["acked"] == s["sent"] and s["unacked"] == 0, s
                assert s["rejects"] == s["errors"] == s["closed"] == 0, s


def test_benchmark_browsers_case_runs_with_real_pages(tmp_path: Path) -> None:
    """The opt-in ``--only browsers`` case: real Chromium pages on one forum receive
    every move a load process sends, and the server's CPU per delivery is measured with
    pages and with load clients."""
    out = tmp_path / "browsers.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "browsers", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Chromium pages" in proc.stdout, proc.stdout
    result = json.loads(out.read_text())["browsers"]
    (pages,) = result["runs"]["pages"]
    assert pages["moves"] > 0 and pages["acked"] == pages["moves"], pages
    assert pages["page_deliveries"] == pages["expected_page_deliveries"], pages
    (clients,) = result["runs"]["clients"]
    assert clients["delivered"] == clients["expected"] > 0, clients
    assert result["pages_us"] > 0 and result["clients_us"] > 0, result
