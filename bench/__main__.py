"""``python -m bench``: Scaleboard against a bare websockets relay, same load, same run.

Starts Scaleboard as a user would (``python -m server serve``: real process, real
SQLite file, durability and validation on) and the baseline relay (``bench/baseline.py``)
(``bench/servers.py``), drives both from a separate load process (``bench/load.py``;
meeting-like Poisson senders by default, ``bench/fanout.py``), and prints the figures
and their ratios. ``--quick`` runs a small version of every scenario (CI runs it so the
benchmark cannot rot); the figures of a quick run mean nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.browsers import browsers
from bench.crosscheck import cross_check
from bench.fanout import fanout
from bench.nginx import through_nginx
from bench.proc import cpu_seconds, machine, rss_bytes
from bench.scaleout import add_arguments, from_args
from bench.servers import Servers, load, load_average, ratio
from bench.static import page_render, replay_step
from bench.targets import BenchSetupError
from bench.webhooks import webhooks
from tests.support import ROOT


def throughput(servers: Servers, quick: bool, only: str = "") -> list[dict[str, Any]]:
    cases = (
        [(1, 5, 40.0, 2.0), (2, 5, 40.0, 2.0)]
        if quick
        else [(1, 8, 900.0, 10.0), (20, 2, 250.0, 10.0)]
    )
    if only:  # forums x senders x moves/s per sender
        cases = [
            (int(f), int(n), float(r), 2.0 if quick else 10.0)
            for f, n, r in (c.split("x") for c in only.split(","))
        ]
    rows = []
    for forums, senders, per_sender, duration in cases:
        ids = [servers.forum(senders) for _ in range(forums)]
        result, cpu = load(
            "scaleboard",
            servers.scaleboard.port,
            servers.scaleboard_pid,
            ids,
            clients=senders,
            senders=senders,
            rate=senders * per_sender,
            duration=duration,
            no_latency=True,
            tokens=servers.participant_tokens(ids),
            names=servers.names,
        )
        total = result["acked_per_s"]
        rows.append(
            {
                "forums": forums,
                "senders": senders,
                "result": result,
                "cpu": cpu,
                "acked_per_s_total": total,
            }
        )
        print(
            f"throughput {forums:2d} forum(s) × {senders} senders"
            f" | offered {result['offered_per_s']:8.0f}/s"
            f" | durable acked {total:8.0f}/s | ack p99 {result['ack']['p99']:6.2f} ms"
            f" | rejects {result['rejects']} | server CPU {cpu / result['seconds']:.2f} s/s"
            f" | load generator CPU {result['load_cpu'] / result['seconds']:.2f} s/s",
            flush=True,
        )
    return rows


def connections(servers: Servers, quick: bool) -> dict[str, Any]:
    forums, per_forum, hold = (4, 25, 2.0) if quick else (100, 100, 8.0)
    ids = [servers.forum(0) for _ in range(forums)]
    out: dict[str, Any] = {}
    for who, port, pid, names in (
        ("scaleboard", servers.scaleboard.port, servers.scaleboard_pid, ids),
        (
            "baseline",
            servers.baseline_port,
            servers.baseline.pid,
            [f"idle-{i}" for i in range(forums)],
        ),
    ):
        tokens = servers.participant_tokens(names) if who == "scaleboard" else None
        # Load each forum once so the rooms themselves are not counted per connection.
        load(who, port, pid, names, clients=1, idle=True, duration=0.5, tokens=tokens)
        time.sleep(0.5)
        before = rss_bytes(pid)
        cpu0 = cpu_seconds(pid)
        args = [sys.executable, "-m", "bench.load", "--mode", who, "--port", str(port)]
        args += ["--forums", ",".join(names), "--clients", str(per_forum), "--idle"]
        args += ["--duration", str(hold)] + ([f"--tokens={tokens}"] if tokens else [])
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        peak = before
        connected = 0
        for line in proc.stdout:
            msg = json.loads(line)
            if msg["event"] == "connected":
                connected = msg["clients"]
                cpu0 = cpu_seconds(pid)
                time.sleep(hold / 2)
                peak = rss_bytes(pid)
                cpu_idle = (cpu_seconds(pid) - cpu0) / (hold / 2)
        proc.wait()
        out[who] = {
            "connections": connected,
            "rss_before": before,
            "rss_peak": peak,
            "per_connection_kb": (peak - before) / max(1, connected) / 1024,
            "idle_cpu": cpu_idle,
        }
        print(
            f"connections {who:10s} | {connected} idle across {forums} forums"
            f" | {out[who]['per_connection_kb']:5.1f} KB each | idle CPU {cpu_idle:.2f} s/s",
            flush=True,
        )
    return out


def stall(servers: Servers, quick: bool) -> dict[str, Any]:
    """Others' latency on a busy forum with and without one client that stops reading.

    The two variants alternate (without, with, without, with) and each figure is the
    mean of its runs, so that a slow moment of the machine does not land on one side.
    """
    n, rate, duration = (20, 50, 2.0) if quick else (200, 100, 8.0)
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    for stalled in (False, True) if quick else (False, True, False, True):
        forum = servers.forum(5)
        result, _ = load(
            "scaleboard",
            servers.scaleboard.port,
            servers.scaleboard_pid,
            [forum],
            clients=n,
            senders=5,
            rate=rate,
            duration=duration,
            stall=stalled,
            tokens=servers.participant_tokens([forum]),
            names=servers.names,
        )
        runs[stalled].append(result)

    def mean_p99(results: list[dict[str, Any]]) -> float:
        return sum(r["latency"]["p99"] for r in results) / len(results)

    a, b = mean_p99(runs[False]), mean_p99(runs[True])
    dropped = any(r["stalled_closed"] for r in runs[True])
    print(
        f"stalled client | others' p99 {a:.2f} ms without, {b:.2f} ms with ({ratio(b, a)})"
        f" | stalled client dropped: {dropped}",
        flush=True,
    )
    return {"normal": runs[False], "stalled": runs[True], "p99_without": a, "p99_with": b}


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--quick", action="store_true", help="a short run of every scenario (for CI)")
    p.add_argument(
        "--only",
        default="fanout,crosscheck,throughput,connections,stall,render,nginx,scaleout,webhooks",
        help="comma-separated scenarios: fanout, crosscheck (one case with the websockets "
        "library's client too), browsers (opt-in: real Chromium pages), throughput, "
        "connections, stall, render, "
        "nginx (the fan-out through nginx vs direct), scaleout (durable moves/s across 20 "
        "forums: SQLite K=1, PostgreSQL K=1 and K=2), webhooks (fan-out with 10 webhooks "
        "to a slow receiver vs none)",
    )
    p.add_argument("--json", type=Path, help="write every figure to this file")
    p.add_argument(
        "--cases",
        default="",
        help="fan-out cases to run, e.g. 200x20,50x1000,50x20-lockstep (default: "
        "50x20,200x20,1000x20,50x1000 Poisson, 50x20-lockstep,50x1000-lockstep)",
    )
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the fan-out")
    p.add_argument("--throughput", default="", help="throughput cases, e.g. 1x160x45,20x14x45")
    add_arguments(p)
    args = p.parse_args()
    only = set(args.only.split(","))
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')} · {machine()} · Python {platform.python_version()}"
        f" · load average {load_average()}"
        f"{' · QUICK (figures mean nothing)' if args.quick else ''}",
        flush=True,
    )
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    with tempfile.TemporaryDirectory() as tmp:
        if only & {"render"}:
            results["render"] = page_render(quick=args.quick)
            results["replay"] = replay_step(quick=args.quick)
        if "scaleout" in only:
            try:
                results["scaleout"] = from_args(args)
            except BenchSetupError as e:
                print(f"scaleout: {e}", file=sys.stderr, flush=True)
                return 2
        if only - {"render", "scaleout"}:
            servers = Servers(Path(tmp))
            try:
                if "fanout" in only:
                    results["fanout"] = fanout(
                        servers,
                        args.quick,
                        set(filter(None, args.cases.split(","))),
                        rounds=args.rounds,
                    )
                if "crosscheck" in only:
                    results["crosscheck"] = cross_check(servers, args.quick)
                if "browsers" in only:  # opt-in: needs Chromium (/usr/bin/chromium)
                    results["browsers"] = browsers(servers, args.quick)
                if "throughput" in only:
                    results["throughput"] = throughput(servers, args.quick, args.throughput)
                if "stall" in only:
                    results["stall"] = stall(servers, args.quick)
                if "connections" in only:
                    results["connections"] = connections(servers, args.quick)
                if "nginx" in only:  # needs nginx installed (tests/nginx.py says how)
                    results["nginx"] = through_nginx(servers, load, args.quick)
                if "webhooks" in only:
                    results["webhooks"] = webhooks(servers, load, args.quick)
            finally:
                servers.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
