"""``python -m bench.profile``: where a meeting's moves spend the server's CPU.

Starts Scaleboard as ``python -m bench`` does (``bench/servers.py``), runs the common
case — one forum of ``--clients`` people, ``--rate`` moves/s with Poisson timing — and
records the server process with ``py-spy`` (a dev dependency) for the measured window:
a flame graph (``--out``, SVG) or, with ``--format raw``, collapsed stacks to read with
``sort``. ``--native`` adds C frames. Only the thread holding the GIL is sampled (the
Python CPU) unless ``--all-threads``. The server CPU per delivery of the run is printed
so that the profile can be tied to the figure it explains.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.servers import Servers, run_one


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--rate", type=int, default=20)
    p.add_argument("--senders", type=int, default=25)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--out", type=Path, default=Path("profile.svg"))
    p.add_argument("--format", choices=["flamegraph", "raw", "speedscope"], default="flamegraph")
    p.add_argument("--native", action="store_true")
    p.add_argument("--all-threads", action="store_true", help="not only the GIL's holder")
    args = p.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory() as tmp:
        servers = Servers(Path(tmp))
        try:
            cmd = [spy, "record", "--pid", str(servers.scaleboard_pid), "--rate", "500"]
            cmd += ["--format", args.format, "--output", str(args.out), "--nonblocking"]
            cmd += ["--native"] if args.native else []
            # Only the thread holding the GIL: the Python CPU. Without it py-spy counts a
            # thread waiting in fsync or epoll as busy, and the commit looks like the cost.
            cmd += ["--threads"] if args.all_threads else ["--gil"]
            recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
            result = run_one(
                servers,
                "scaleboard",
                args.senders,
                clients=args.clients,
                senders=args.senders,
                rate=args.rate,
                duration=args.duration,
            )
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on ^C
            recorder.wait(60)
        finally:
            servers.close()
    print(
        f"N={args.clients} {args.rate}/s: {result['moves']} moves,"
        f" server CPU/delivery {result['cpu_us']:.2f} µs,"
        f" {result['cpu'] / max(1, result['moves']) * 1e6:.0f} µs per move; profile: {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
