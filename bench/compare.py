"""``python -m bench.compare --before DIR``: this tree's Scaleboard against an older one
and the relay, on one case, in one run.

What an optimisation bought is only comparable when both sides ran on the same machine
at the same moments: this starts Scaleboard from ``DIR`` (an older tree, e.g.
``git worktree add DIR REV`` or ``git archive REV | tar -x -C DIR``; its ``server``
package runs, on this environment's libraries), Scaleboard from this tree and the
relay, and runs the same meeting-like case against each in turn, the order rotating
every round (A B C, B C A, C A B, …). Medians of the rounds are printed, with the
load average of each round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.fanout import Case, options
from bench.servers import Servers, load_average, ratio, run_one


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.compare")
    p.add_argument("--before", type=Path, required=True, help="an older tree to run")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--rate", type=int, default=20)
    p.add_argument("--senders", type=int, default=25)
    p.add_argument("--duration", type=float, default=12.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--timing", choices=["poisson", "lockstep"], default="poisson")
    args = p.parse_args()
    if not (args.before / "server" / "__main__.py").exists():
        print(f"{args.before} has no server/ package to run", file=sys.stderr)
        return 2
    case = Case(args.clients, args.rate, args.senders, args.duration, args.timing)
    sides = ("before", "after", "relay")
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "before").mkdir()
        (Path(tmp) / "after").mkdir()
        before = Servers(Path(tmp) / "before", root=args.before.resolve())
        after = Servers(Path(tmp) / "after")
        try:
            for r in range(args.rounds):
                print(f"round {r + 1}/{args.rounds} · load average {load_average()}", flush=True)
                order = sides[r % 3 :] + sides[: r % 3]
                for side in order:
                    servers = before if side == "before" else after
                    who = "baseline" if side == "relay" else "scaleboard"
                    result = run_one(servers, who, case.senders, **options(case))
                    runs[side].append(result)
                    print(
                        f"  {side:6s} {case.name} | CPU/delivery {result['cpu_us']:6.2f} µs"
                        f" | p99 {result['latency']['p99']:6.2f} ms"
                        f" | delivered {result['delivered']}/{result['expected']}",
                        flush=True,
                    )
        finally:
            before.close()
            after.close()
    cpu = {side: statistics.median(r["cpu_us"] for r in runs[side]) for side in sides}
    p99 = {side: statistics.median(r["latency"]["p99"] for r in runs[side]) for side in sides}
    print(
        f"compare {case.name} median of {args.rounds}"
        f" | CPU/delivery before {cpu['before']:.2f} µs ({ratio(cpu['before'], cpu['relay'])}"
        f" relay), after {cpu['after']:.2f} µs ({ratio(cpu['after'], cpu['relay'])} relay),"
        f" relay {cpu['relay']:.2f} µs; after/before {ratio(cpu['after'], cpu['before'])}"
        f" | p99 before {p99['before']:.2f}, after {p99['after']:.2f},"
        f" relay {p99['relay']:.2f} ms",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
