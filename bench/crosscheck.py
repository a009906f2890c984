"""``python -m bench --only crosscheck`` (part of every full and quick run): one fan-out
case driven by both load clients, so no figure rests on one client alone.

The main client (``bench/load.py``, a hand-written frame reader) and the ``websockets``
library's own client (``bench/wsclient.py``) run the same meeting-like case against
Scaleboard and against the relay, interleaved (main→Scaleboard, library→Scaleboard,
main→relay, library→relay; the order turns round every round). For each server it
prints the server CPU per delivery each client saw (medians of the rounds) and says
plainly when they differ by more than ``TOLERANCE``.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.fanout import Case, options
from bench.servers import Servers, load_average, ratio, run_one

TOLERANCE = 0.15
CLIENTS = {"main": "bench.load", "websockets": "bench.wsclient"}


def cross_check(servers: Servers, quick: bool, rounds: int = 2) -> dict[str, Any]:
    case = Case(20, 20, 5, 3.0) if quick else Case(50, 20, 25, 12.0)
    rounds = 1 if quick else rounds
    plan = [(who, client) for who in ("scaleboard", "baseline") for client in CLIENTS]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        who: {client: [] for client in CLIENTS} for who in ("scaleboard", "baseline")
    }
    for r in range(rounds):
        print(f"cross-check round {r + 1}/{rounds} · load average {load_average()}", flush=True)
        for who, client in plan if r % 2 == 0 else reversed(plan):
            result = run_one(servers, who, case.senders, module=CLIENTS[client], **options(case))
            runs[who][client].append(result)
    out: dict[str, Any] = {"case": case.name, "runs": runs, "agree": True}
    for who in ("scaleboard", "baseline"):
        main = statistics.median(r["cpu_us"] for r in runs[who]["main"])
        lib = statistics.median(r["cpu_us"] for r in runs[who]["websockets"])
        p99_main = statistics.median(r["latency"]["p99"] for r in runs[who]["main"])
        p99_lib = statistics.median(r["latency"]["p99"] for r in runs[who]["websockets"])
        apart = abs(main - lib) / min(main, lib) if min(main, lib) > 0 else float("inf")
        agree = apart <= TOLERANCE
        out[who] = {"main": main, "websockets": lib, "apart": apart, "agree": agree}
        out["agree"] = out["agree"] and agree
        verdict = (
            f"agree within {TOLERANCE:.0%}"
            if agree
            else f"DIFFER BY {apart:.0%} (more than {TOLERANCE:.0%})"
        )
        delivered = all(r["delivered"] == r["expected"] for c in CLIENTS for r in runs[who][c])
        print(
            f"cross-check {case.name} {who:10s}"
            f" | server CPU/delivery: main client {main:5.2f} µs,"
            f" websockets client {lib:5.2f} µs ({ratio(lib, main)}): {verdict}"
            f" | p99 {p99_main:6.2f} / {p99_lib:6.2f} ms | all delivered: {delivered}",
            flush=True,
        )
    s, b = out["scaleboard"], out["baseline"]
    print(
        f"cross-check {case.name} Scaleboard/relay CPU per delivery:"
        f" main client {ratio(s['main'], b['main'])},"
        f" websockets client {ratio(s['websockets'], b['websockets'])}",
        flush=True,
    )
    return out
