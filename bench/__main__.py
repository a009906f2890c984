"""``python -m bench``: Scaleboard against a bare websockets relay, same load, same run.

Starts Scaleboard as a user would (``python -m server serve``: real process, real
SQLite file, durability and validation on) and the baseline relay (``bench/baseline.py``),
drives both from a separate load process (``bench/load.py``), and prints the figures
and their ratios. ``--quick`` runs a small version of every scenario (CI runs it so the
benchmark cannot rot); the figures of a quick run mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import TOKEN_ENV
from bench.nginx import through_nginx
from bench.proc import cpu_seconds, machine, rss_bytes
from bench.scaleout import add_arguments, from_args
from bench.static import page_render, replay_step
from bench.targets import BenchSetupError
from bench.webhooks import webhooks
from tests.support import ROOT, ServerProcess, free_port


@dataclass
class Servers:
    """A Scaleboard process and a baseline process, started once for the whole run."""

    tmp: Path
    scaleboard: ServerProcess = field(init=False)
    baseline: subprocess.Popen[bytes] = field(init=False)
    baseline_port: int = field(init=False)

    def __post_init__(self) -> None:
        # The throughput cases offer thousands of moves a second from a few connections
        # (a load generator reading 160 sockets' broadcasts saturates before the server
        # does), so the per-connection rate limit is raised; nothing else differs.
        self.scaleboard = ServerProcess(
            self.tmp / "bench.db", extra_args=["--ops-per-second", "5000", "--ops-burst", "5000"]
        ).start()
        # Access is on as in production: the load processes (children) connect with
        # the admin's token (docs/access.md).
        os.environ[TOKEN_ENV] = self.scaleboard.admin_token
        self.baseline_port = free_port()
        self.baseline = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline", "--port", str(self.baseline_port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        assert self.baseline.stdout is not None
        if self.baseline.stdout.readline().strip() != b"ready":
            raise RuntimeError("baseline did not start")

    def close(self) -> None:
        self.scaleboard.stop()
        self.baseline.terminate()
        self.baseline.wait()

    def forum(self, cards: int) -> str:
        """A fresh Scaleboard forum with cards c1..c<cards> in its first column."""
        forum_id = str(self.scaleboard.new_forum("sos", "Bench")["id"])
        for i in range(cards):
            status, _ = self.scaleboard.request(
                "POST", f"/api/forums/{forum_id}/cards", {"column": "new", "title": f"Card {i}"}
            )
            assert status == 201
        return forum_id


def load(
    mode: str, port: int, pid: int, forums: list[str], **opts: Any
) -> tuple[dict[str, Any], float]:
    """Run one load process; return its result and the server's CPU seconds in the window."""
    args = [sys.executable, "-m", "bench.load", "--mode", mode, "--port", str(port)]
    args += ["--forums", ",".join(forums)]
    for key, value in opts.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args += [flag, str(value)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    cpu0 = cpu1 = load0 = load1 = 0.0
    result: dict[str, Any] = {}
    for line in proc.stdout:
        msg = json.loads(line)
        if msg["event"] == "start":
            cpu0, load0 = cpu_seconds(pid), cpu_seconds(proc.pid)
        elif msg["event"] == "end":
            cpu1, load1 = cpu_seconds(pid), cpu_seconds(proc.pid)
        elif msg["event"] == "result":
            result = msg
    # The load generator's own CPU: near 1 s/s means it, not the server, set the pace.
    result["load_cpu"] = load1 - load0
    if proc.wait() != 0 or not result:
        raise RuntimeError(f"load process failed: {args}")
    return result, cpu1 - cpu0


PROBE_RATE = 50.0


def start_probe(mode: str, port: int, forum: str, card_offset: int, duration: float) -> Any:
    """A client in a process of its own, moving one card at ``PROBE_RATE``: its ack times
    are the server's, not those of a load generator busy reading 50,000 frames a second.
    It runs against both servers, so both carry the same extra load."""
    args = [sys.executable, "-m", "bench.load", "--mode", mode, "--port", str(port)]
    args += ["--forums", forum, "--clients", "1", "--senders", "1", "--rate", str(PROBE_RATE)]
    args += ["--duration", str(duration), "--card-offset", str(card_offset), "--tag", "probe-"]
    args += ["--warmup", "2.0"]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def probe_result(proc: Any) -> dict[str, Any]:
    out, _ = proc.communicate()
    for line in out.splitlines():
        msg = json.loads(line)
        if msg["event"] == "result":
            return dict(msg)
    raise RuntimeError("ack probe failed")


def both(
    servers: Servers, cards: int, forums: int = 1, probe: bool = False, **opts: Any
) -> dict[str, Any]:
    """The same load against Scaleboard and the baseline (with ``probe``, plus an ack
    probe in its own process on the first forum of each)."""
    sb_forums = [servers.forum(cards + (1 if probe else 0)) for _ in range(forums)]
    duration = float(opts.get("duration", 10.0))
    sb_port = servers.scaleboard.port
    sb_probe = start_probe("scaleboard", sb_port, sb_forums[0], cards, duration) if probe else None
    sb, sb_cpu = load(
        "scaleboard",
        sb_port,
        servers.scaleboard.proc.pid,  # type: ignore[union-attr]
        sb_forums,
        **opts,
    )
    base_forums = [f"relay-{time.monotonic_ns()}-{i}" for i in range(forums)]
    port = servers.baseline_port
    bl_probe = start_probe("baseline", port, base_forums[0], cards, duration) if probe else None
    bl, bl_cpu = load("baseline", port, servers.baseline.pid, base_forums, **opts)
    run = {"scaleboard": sb, "baseline": bl, "cpu": {"scaleboard": sb_cpu, "baseline": bl_cpu}}
    if sb_probe is not None and bl_probe is not None:
        run["probe"] = probe_result(sb_probe)
        probe_result(bl_probe)
    return run


def per_delivery_us(run: dict[str, Any], who: str) -> float:
    delivered = max(1, run[who]["delivered"])
    return float(run["cpu"][who]) / delivered * 1e6


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


FANOUT_CASES = [(50, 20, 4, 40.0), (200, 20, 4, 20.0), (1000, 20, 4, 15.0), (50, 1000, 25, 10.0)]


def fanout(servers: Servers, quick: bool, only: set[str] | None = None) -> list[dict[str, Any]]:
    cases = [(20, 20, 2, 2.0), (10, 1000, 5, 2.0)] if quick else FANOUT_CASES
    if only:
        cases = [c for c in cases if f"{c[0]}x{c[1]}" in only]
    rows = []
    for n, rate, senders, duration in cases:
        probe = rate >= 1000
        run = both(
            servers,
            cards=senders,
            probe=probe,
            clients=n,
            senders=senders,
            rate=rate,
            duration=duration,
        )
        rows.append({"clients": n, "rate": rate, **run})
        sb, bl = run["scaleboard"], run["baseline"]
        probe_ack = f" (probe {run['probe']['ack']['p99']:5.2f} ms)" if probe else ""
        lat_s, lat_b = sb["latency"], bl["latency"]
        cpu_s, cpu_b = per_delivery_us(run, "scaleboard"), per_delivery_us(run, "baseline")
        load_s = run["cpu"]["scaleboard"] / sb["seconds"]
        load_b = run["cpu"]["baseline"] / bl["seconds"]
        print(
            f"fan-out N={n:5d} {rate:5d}/s"
            f" | p50 {lat_s['p50']:6.2f} / {lat_b['p50']:6.2f} ms"
            f" | p99 {lat_s['p99']:6.2f} / {lat_b['p99']:6.2f} ms"
            f" ({ratio(lat_s['p99'], lat_b['p99'])})"
            f" | max {lat_s['max']:6.1f} / {lat_b['max']:6.1f} ms"
            f" | CPU/delivery {cpu_s:5.2f} / {cpu_b:5.2f} µs ({ratio(cpu_s, cpu_b)})"
            f" | ack p99 {sb['ack']['p99']:5.2f} ms{probe_ack}"
            f" | delivered {sb['delivered']}/{sb['expected']}"
            f" | server CPU {load_s:.2f} / {load_b:.2f} s/s",
            flush=True,
        )
    return rows


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
            servers.scaleboard.proc.pid,  # type: ignore[union-attr]
            ids,
            clients=senders,
            senders=senders,
            rate=senders * per_sender,
            duration=duration,
            no_latency=True,
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
        ("scaleboard", servers.scaleboard.port, servers.scaleboard.proc.pid, ids),  # type: ignore[union-attr]
        (
            "baseline",
            servers.baseline_port,
            servers.baseline.pid,
            [f"idle-{i}" for i in range(forums)],
        ),
    ):
        # Load each forum once so the rooms themselves are not counted per connection.
        load(who, port, pid, names, clients=1, idle=True, duration=0.5)
        time.sleep(0.5)
        before = rss_bytes(pid)
        cpu0 = cpu_seconds(pid)
        args = [sys.executable, "-m", "bench.load", "--mode", who, "--port", str(port)]
        args += ["--forums", ",".join(names), "--clients", str(per_forum), "--idle"]
        args += ["--duration", str(hold)]
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
            servers.scaleboard.proc.pid,  # type: ignore[union-attr]
            [forum],
            clients=n,
            senders=5,
            rate=rate,
            duration=duration,
            stall=stalled,
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
        default="fanout,throughput,connections,stall,render,nginx,scaleout,webhooks",
        help="comma-separated scenarios: fanout, throughput, connections, stall, render, nginx "
        "(fan-out through nginx vs direct), scaleout (durable moves/s, 20 forums: SQLite K=1, "
        "PostgreSQL K=1, K=2), webhooks (fan-out with 10 webhooks to a slow receiver vs none)",
    )
    p.add_argument("--json", type=Path, help="write every figure to this file")
    p.add_argument("--cases", default="", help="fan-out cases to run, e.g. 200x20,50x1000")
    p.add_argument("--throughput", default="", help="throughput cases, e.g. 1x160x45,20x14x45")
    add_arguments(p)
    args = p.parse_args()
    only = set(args.only.split(","))
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M')} · {machine()} · Python {platform.python_version()}"
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
                        servers, args.quick, set(filter(None, args.cases.split(",")))
                    )
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
