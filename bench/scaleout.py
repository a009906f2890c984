"""``python -m bench --only scaleout``: durable moves/s across 20 forums, SQLite K=1 next
to PostgreSQL K=1 and K=2, stepped up to saturation.

People connect as browsers do and move cards at random (``bench/crowd.py``); every move
counts when its ack, sent after the durable commit, arrives. The configurations
(``bench/targets.py``) take turns, A B C A B C (``--scaleout-rounds``, at least 2 in a
full run), so a slow moment of a shared machine does not land on one of them; the load
average is printed at every turn. In each turn the offered rate steps up
(``--scaleout-rates``) until acks fall behind (a move unacked, or acks slower than
moves); the highest step fully acked with the ack p99 within 250 ms is the
configuration's saturation rate in that round (the highest fully acked at any p99 is
printed beside it).

CPU, read from ``/proc`` over the measured window: every server process of the
configuration, the PostgreSQL backends connected to its database (the writer and the
reader pool of each process), PostgreSQL's shared WAL writer, checkpointer and
background writer (shown apart: whatever else uses the server counts there too), and
the load process (near 1 CPU-s/s it, not the server, sets the pace). CPU per durable
move is (server + backends) / acked moves.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.proc import cpu_of, postgres_processes
from bench.targets import DEFAULT_PG, Databases, Target, targets
from tests.support import ROOT

P99_LIMIT_MS = 250.0
RATES = (2500, 5000, 7500, 10000, 12500, 15000)
FORUMS, PEOPLE = 20, 5


def failures(step: dict[str, Any], asked: float) -> list[str]:
    """Why a step does not count as ``asked`` moves/s fully acked with the ack p99 in
    the limit (empty: it does)."""
    why = []
    if step["offered_per_s"] < 0.95 * asked:
        why.append(f"offered only {step['offered_per_s']:.0f}/s")
    if step["unacked"]:
        why.append(f"{step['unacked']} unacked")
    if step["acked_per_s"] < 0.97 * step["offered_per_s"]:
        why.append(f"acks behind ({step['acked_per_s']:.0f}/s)")
    if step["rejects"] or step["errors"] or step["closed"]:
        why.append(f"{step['rejects']} rejects, {step['errors']} errors, {step['closed']} closed")
    if step["ack"]["p99"] > P99_LIMIT_MS:
        why.append(f"{LATE} {step['ack']['p99']:.0f} ms > {P99_LIMIT_MS:.0f}")
    return why


LATE = "ack p99"


def kept_up(step: dict[str, Any]) -> bool:
    """Every move of the step was acked at the rate offered, however late: the stepping
    goes on while this holds (acks falling behind is saturation)."""
    return all(why.startswith(LATE) for why in step["failures"])


def saturation(steps: list[dict[str, Any]], latency: bool = True) -> float:
    """The highest asked rate of ``steps`` fully acked, with the ack p99 in the limit
    when ``latency`` (0: none). A lower step that missed the p99 on a busy machine does
    not hide a higher one that met it."""
    passed = [s["asked"] for s in steps if (not s["failures"] if latency else kept_up(s))]
    return max(passed, default=0.0)


def per_move_us(cpu_seconds: float, moves: int) -> float:
    """CPU microseconds per durable move (0 when nothing was acked)."""
    return cpu_seconds / moves * 1e6 if moves else 0.0


def window_cpu(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds of a set of processes between two readings; one that appeared in
    between counts whole (it started inside the window)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def measure(target: Target, rate: float, people: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """One step: the crowd at ``rate`` moves/s in all against ``target``."""
    setup = tmp / "crowd.json"
    setup.write_text(json.dumps(target.setup()))
    args = [sys.executable, "-m", "bench.crowd", "--setup", str(setup), "--rate", str(rate)]
    args += ["--people", str(people), "--duration", str(seconds)]
    args += ["--seed", str(secrets.randbelow(10**9))]
    if seconds < 3:
        args += ["--warmup", "0.5", "--drain", "2"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    reading: dict[str, dict[int, float]] = {}
    commits: dict[str, int | None] = {}
    result: dict[str, Any] = {}
    for line in proc.stdout:
        msg = json.loads(line)
        if msg["event"] in ("start", "end"):
            backends, shared = postgres_processes(target.database) if target.database else ([], [])
            at = msg["event"]
            reading[f"server-{at}"] = cpu_of(target.pids)
            reading[f"pg-{at}"] = cpu_of(backends)
            reading[f"shared-{at}"] = cpu_of(shared)
            reading[f"load-{at}"] = cpu_of([proc.pid])
            commits[at] = target.commits()
        elif msg["event"] == "result":
            result = msg
    if proc.wait() != 0 or not result:
        raise RuntimeError(f"load process failed: {args}")
    cpu = {
        who: window_cpu(reading[f"{who}-start"], reading[f"{who}-end"])
        for who in ("server", "pg", "shared", "load")
    }
    result["asked"] = rate
    before, after = reading["server-start"], reading["server-end"]
    result["server_cpu_s_per_s_by_process"] = [
        (after.get(pid, 0.0) - before.get(pid, 0.0)) / result["seconds"] for pid in target.pids
    ]
    result["cpu_s_per_s"] = {who: t / result["seconds"] for who, t in cpu.items()}
    result["cpu_per_move_us"] = per_move_us(cpu["server"] + cpu["pg"], result["acked"])
    result["failures"] = failures(result, rate)
    start, end = commits.get("start"), commits.get("end")
    result["commits_per_s"] = (end - start) / result["seconds"] if start and end else None
    return result


def line(target: Target, step: dict[str, Any]) -> str:
    cpu = step["cpu_s_per_s"]
    pg = ""
    if target.database:
        pg = f" | PostgreSQL {cpu['pg']:.2f} (+{cpu['shared']:.2f} shared)"
    by_process = step["server_cpu_s_per_s_by_process"]
    each = f" ({' + '.join(f'{c:.2f}' for c in by_process)})" if len(by_process) > 1 else ""
    commits = step.get("commits_per_s")
    per_commit = f" | {commits:4.0f} commits/s" if commits else ""
    verdict = "; ".join(step["failures"]) or "ok"
    return (
        f"scaleout {target.name:14s} {step['asked']:6.0f}/s asked"
        f" | offered {step['offered_per_s']:6.0f}/s | acked {step['acked_per_s']:6.0f}/s"
        f" ({step['acked']}/{step['sent']}, {step['unacked']} unacked)"
        f" | ack p50 {step['ack']['p50']:6.1f} p99 {step['ack']['p99']:6.1f} ms"
        f" | server {cpu['server']:.2f}{each}{pg} CPU-s/s"
        f" | {step['cpu_per_move_us']:5.0f} µs/move{per_commit} | load gen {cpu['load']:.2f}"
        f" | {verdict}"
    )


def scaleout(
    quick: bool,
    pg_url: str,
    rates: list[float] | None = None,
    rounds: int = 2,
    seconds: float = 8.0,
) -> dict[str, Any]:
    """The whole case: every configuration's turns, interleaved; its figures."""
    forums, people = (4, 2) if quick else (FORUMS, PEOPLE)
    steps_asked = rates or ([200.0] if quick else [float(r) for r in RATES])
    if quick:
        rounds, seconds = 1, 1.5
    runs: dict[str, list[list[dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        databases = Databases(pg_url, secrets.token_hex(3))
        try:
            configs = targets(tmp, databases)
            for r in range(rounds):
                for target in configs:
                    target.start()
                    try:
                        target.prepare(forums, people)
                        load1, load5, _ = os.getloadavg()
                        split = f", forums {target.split()}" if len(target.processes) > 1 else ""
                        print(
                            f"scaleout round {r + 1} {target.name}{split}"
                            f" | load average {load1:.2f} (5 min {load5:.2f})",
                            flush=True,
                        )
                        steps = []
                        for asked in steps_asked:
                            step = measure(target, asked, people, seconds, tmp)
                            step["load_average"] = os.getloadavg()[0]
                            steps.append(step)
                            print(line(target, step), flush=True)
                            if not kept_up(step):
                                break
                        runs.setdefault(target.name, []).append(steps)
                    finally:
                        target.stop()
        finally:
            databases.drop()
    summary = {
        name: {
            "p99_in_limit": [saturation(steps) for steps in rounds_],
            "all_acked": [saturation(steps, latency=False) for steps in rounds_],
        }
        for name, rounds_ in runs.items()
    }
    for name, best in summary.items():
        shown = ", ".join(f"{b:.0f}" for b in best["p99_in_limit"])
        acked = ", ".join(f"{b:.0f}" for b in best["all_acked"])
        print(
            f"scaleout {name:14s} highest rate fully acked with ack p99 ≤ 250 ms, by round:"
            f" {shown} /s | fully acked, any p99: {acked} /s",
            flush=True,
        )
    return {"forums": forums, "people": people, "runs": runs, "saturation": summary}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The scale-out case's options of ``python -m bench``."""
    p.add_argument(
        "--pg",
        default=DEFAULT_PG,
        help="the PostgreSQL server of the scaleout case (it makes databases of its own "
        "there and drops them at the end; default %(default)s)",
    )
    p.add_argument(
        "--scaleout-rates",
        default="",
        help="offered moves/s (all forums together) the scaleout case steps through, "
        f"e.g. 2500,5000 (default {','.join(str(r) for r in RATES)})",
    )
    p.add_argument(
        "--scaleout-rounds",
        type=int,
        default=2,
        help="turns of each configuration, interleaved (default %(default)s)",
    )


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    rates = [float(r) for r in args.scaleout_rates.split(",") if r]
    return scaleout(args.quick, args.pg, rates or None, max(1, args.scaleout_rounds))
