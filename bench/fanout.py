"""``python -m bench --only fanout``: one forum's moves reaching everyone, Scaleboard
against the bare relay, interleaved.

A case is ``N x rate``: N people in one forum (one connection each, every frame read as
it arrives, pings answered; on Scaleboard each with a display name and a ``hello``),
``rate`` moves a second in all. By default the moves are a meeting's: independent
senders, each with its own random start and exponential gaps (Poisson). The
``-lockstep`` cases keep the old schedule (every sender at the same instants) as a named
extra: the room gathers simultaneous moves into one frame, which flatters Scaleboard.

Runs are interleaved, A B then B A, for ``--rounds`` rounds; every figure printed per
case is the median of its rounds, and the machine's load average is printed with each
round (the machine may be shared: interleaving is what keeps the ratios comparable).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from bench.servers import Servers, load_average, ratio, run_one


@dataclass(frozen=True)
class Case:
    """One fan-out case: ``clients`` people, ``rate`` moves/s, ``senders`` of them sending."""

    clients: int
    rate: int
    senders: int
    duration: float
    timing: str = "poisson"

    @property
    def name(self) -> str:
        base = f"{self.clients}x{self.rate}"
        return base if self.timing == "poisson" else f"{base}-{self.timing}"


# Poisson cases: the number of senders does not change the timing (the sum of
# independent Poisson senders is a Poisson stream); 25 people move cards, all 50..1000
# read. The lockstep cases are the old bench's (4 senders at 20/s, 25 at 1,000/s).
CASES = [
    Case(50, 20, 25, 15.0),
    Case(200, 20, 25, 10.0),
    Case(1000, 20, 25, 10.0),
    Case(50, 1000, 25, 8.0),
    Case(50, 20, 4, 15.0, "lockstep"),
    Case(200, 20, 4, 10.0, "lockstep"),
    Case(1000, 20, 4, 10.0, "lockstep"),
    Case(50, 1000, 25, 8.0, "lockstep"),
]
QUICK = [Case(20, 20, 5, 2.0), Case(10, 1000, 5, 2.0), Case(20, 20, 2, 2.0, "lockstep")]
DEFAULT = "50x20,200x20,1000x20,50x1000,50x20-lockstep,50x1000-lockstep"


def options(case: Case) -> dict[str, Any]:
    return {
        "clients": case.clients,
        "senders": case.senders,
        "rate": case.rate,
        "duration": case.duration,
        "timing": case.timing,
    }


def median(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        v: Any = run
        for key in path:
            v = v[key]
        values.append(float(v))
    return statistics.median(values)


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over the rounds of one server's runs of one case."""
    return {
        "p50": median(runs, "latency", "p50"),
        "p99": median(runs, "latency", "p99"),
        "max": median(runs, "latency", "max"),
        "cpu_us": median(runs, "cpu_us"),
        "cpu_per_s": statistics.median(r["cpu"] / r["seconds"] for r in runs),
        "ack_p99": median(runs, "ack", "p99"),
    }


def pick(quick: bool, only: set[str] | None) -> list[Case]:
    every = QUICK if quick else CASES
    wanted = only or (None if quick else set(DEFAULT.split(",")))
    return [c for c in every if wanted is None or c.name in wanted]


def fanout(
    servers: Servers, quick: bool, only: set[str] | None = None, rounds: int = 3
) -> list[dict[str, Any]]:
    cases = pick(quick, only)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        c.name: {"scaleboard": [], "baseline": []} for c in cases
    }
    rounds = 1 if quick else rounds
    for r in range(rounds):
        print(f"round {r + 1}/{rounds} · load average {load_average()}", flush=True)
        for case in cases:
            order = ("scaleboard", "baseline") if r % 2 == 0 else ("baseline", "scaleboard")
            for who in order:
                probe = case.rate >= 1000
                result = run_one(servers, who, case.senders, probe=probe, **options(case))
                runs[case.name][who].append(result)
            sb, bl = runs[case.name]["scaleboard"][-1], runs[case.name]["baseline"][-1]
            print(
                f"  {case.name:18s} | p99 {sb['latency']['p99']:6.2f} / "
                f"{bl['latency']['p99']:6.2f} ms"
                f" | CPU/delivery {sb['cpu_us']:5.2f} / {bl['cpu_us']:5.2f} µs"
                f" ({ratio(sb['cpu_us'], bl['cpu_us'])})"
                f" | delivered {sb['delivered']}/{sb['expected']},"
                f" {bl['delivered']}/{bl['expected']} | load {sb['loadavg']} → {bl['loadavg']}",
                flush=True,
            )
    rows = []
    for case in cases:
        sb_runs, bl_runs = runs[case.name]["scaleboard"], runs[case.name]["baseline"]
        s, b = summary(sb_runs), summary(bl_runs)
        probed = ""
        if case.rate >= 1000:
            p = statistics.median(r["probe"]["ack"]["p99"] for r in sb_runs)
            probed = f" (probe {p:5.2f} ms)"
        print(
            f"fan-out {case.name:18s} median of {len(sb_runs)}"
            f" | p50 {s['p50']:6.2f} / {b['p50']:6.2f} ms"
            f" | p99 {s['p99']:6.2f} / {b['p99']:6.2f} ms ({ratio(s['p99'], b['p99'])})"
            f" | CPU/delivery {s['cpu_us']:5.2f} / {b['cpu_us']:5.2f} µs"
            f" ({ratio(s['cpu_us'], b['cpu_us'])})"
            f" | ack p99 {s['ack_p99']:5.2f} ms{probed}"
            f" | server CPU {s['cpu_per_s']:.2f} / {b['cpu_per_s']:.2f} s/s",
            flush=True,
        )
        rows.append(
            {
                "case": case.name,
                "clients": case.clients,
                "rate": case.rate,
                "timing": case.timing,
                "median": {"scaleboard": s, "baseline": b},
                "runs": runs[case.name],
                # The last round's runs, as a single run's figures.
                "scaleboard": sb_runs[-1],
                "baseline": bl_runs[-1],
                **({"probe": sb_runs[-1]["probe"]} if case.rate >= 1000 else {}),
            }
        )
    return rows
