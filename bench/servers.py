"""The two servers every fan-out case runs against, and one load process driven at them.

``Servers`` starts Scaleboard as a user would (``python -m server serve``: real process,
real SQLite file, durability and validation on) and the baseline relay
(``bench/baseline.py``: ``websockets.broadcast``, compression off), once for the whole
run. ``load`` runs one load process (``bench/load.py``) against one of them and reads
the server's CPU over the load's measured window from ``/proc``; ``both`` runs the same
load against each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import TOKEN_ENV
from bench.proc import cpu_seconds
from bench.targets import name_cookie
from tests.support import ROOT, ServerProcess, free_port

NAMES = 50  # display names made for the bench's people (cycled beyond 50 people)


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages, as ``/proc/loadavg`` has them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


@dataclass
class Servers:
    """A Scaleboard process and a baseline process, started once for the whole run."""

    tmp: Path
    root: Path = ROOT  # the tree whose Scaleboard runs (``bench/compare.py``: an older one)
    scaleboard: ServerProcess = field(init=False)
    baseline: subprocess.Popen[bytes] = field(init=False)
    baseline_port: int = field(init=False)
    names: Path = field(init=False)
    tokens: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # The throughput cases offer thousands of moves a second from a few connections
        # (a load generator reading 160 sockets' broadcasts saturates before the server
        # does), so the per-connection rate limit is raised; nothing else differs.
        self.scaleboard = ServerProcess(
            self.tmp / "bench.db",
            extra_args=["--ops-per-second", "5000", "--ops-burst", "5000"],
            root=self.root,
        ).start()
        # Access is on as in production: the load processes (children) connect with
        # the admin's token (docs/access.md).
        os.environ[TOKEN_ENV] = self.scaleboard.admin_token
        # Each person has a display name, the signed ``sb_name`` cookie ``/name`` sets.
        token, port = self.scaleboard.admin_token, self.scaleboard.port
        cookies = [name_cookie(port, token, f"Person {i + 1}") for i in range(NAMES)]
        self.names = self.tmp / f"names-{port}.json"
        self.names.write_text(json.dumps(cookies))
        self.baseline_port = free_port()
        self.baseline = subprocess.Popen(
            [sys.executable, "-m", "bench.baseline", "--port", str(self.baseline_port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        assert self.baseline.stdout is not None
        if self.baseline.stdout.readline().strip() != b"ready":
            raise RuntimeError("baseline did not start")

    @property
    def scaleboard_pid(self) -> int:
        assert self.scaleboard.proc is not None
        return self.scaleboard.proc.pid

    def participant_tokens(self, forums: list[str]) -> str:
        """The ``--tokens`` of a load process on ``forums``: each forum's participant
        link, as people in a meeting join (not the admin's token)."""
        return ",".join(self.tokens[f] for f in forums)

    def close(self) -> None:
        self.scaleboard.stop()
        self.baseline.terminate()
        self.baseline.wait()

    def forum(self, cards: int) -> str:
        """A fresh Scaleboard forum with cards c1..c<cards> in its first column; its
        participant link's token is kept in ``tokens`` (people join with it)."""
        forum_id = str(self.scaleboard.new_forum("sos", "Bench")["id"])
        self.tokens[forum_id] = self.scaleboard.links(forum_id)["participant"]
        for i in range(cards):
            status, _ = self.scaleboard.request(
                "POST", f"/api/forums/{forum_id}/cards", {"column": "new", "title": f"Card {i}"}
            )
            assert status == 201
        return forum_id


def load(
    mode: str, port: int, pid: int, forums: list[str], module: str = "bench.load", **opts: Any
) -> tuple[dict[str, Any], float]:
    """Run one load process; return its result and the server's CPU seconds in the window.

    ``module``: the client (``bench.load``, or the websockets library's ``bench.wsclient``:
    both take the same options and print the same JSON lines)."""
    args = [sys.executable, "-m", module, "--mode", mode, "--port", str(port)]
    args += ["--forums", ",".join(forums)]
    for key, value in opts.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args.append(f"{flag}={value}")  # "=": a link token may start with "-"
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
    """A client in a process of its own, moving one card at ``PROBE_RATE`` (Poisson): its
    ack times are the server's, not those of a load generator busy reading 50,000 frames
    a second. It runs against both servers, so both carry the same extra load."""
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


def run_one(
    servers: Servers,
    who: str,
    cards: int,
    forums: int = 1,
    probe: bool = False,
    module: str = "bench.load",
    **opts: Any,
) -> dict[str, Any]:
    """One load against one server (``scaleboard`` or ``baseline``) on fresh forums;
    with ``probe``, plus an ack probe in its own process on the first forum.

    The result has the load's figures, ``cpu`` (server CPU seconds in the window),
    ``cpu_us`` (server CPU per delivery, µs), ``loadavg`` and, with ``probe``, ``probe``."""
    duration = float(opts.get("duration", 10.0))
    if who == "scaleboard":
        ids = [servers.forum(cards + (1 if probe else 0)) for _ in range(forums)]
        port, pid = servers.scaleboard.port, servers.scaleboard_pid
        opts.setdefault("names", servers.names)
        opts.setdefault("tokens", servers.participant_tokens(ids))
    else:
        ids = [f"relay-{time.monotonic_ns()}-{i}" for i in range(forums)]
        port, pid = servers.baseline_port, servers.baseline.pid
    average = load_average()
    prober = start_probe(who, port, ids[0], cards, duration) if probe else None
    result, cpu = load(who, port, pid, ids, module=module, **opts)
    result["cpu"] = cpu
    result["cpu_us"] = cpu / max(1, result["delivered"]) * 1e6
    result["loadavg"] = average
    if prober is not None:
        result["probe"] = probe_result(prober)
    return result


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"
