"""The scale-out bench's own logic: who its people are, how they time their moves, which
processes count as PostgreSQL's, and how a step is judged (no timing is asserted here;
``tests/test_bench_quick.py`` runs the case itself)."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
from typing import Any

from bench.crowd import people_of, poisson_gaps
from bench.proc import postgres_role
from bench.scaleout import failures, kept_up, per_move_us, saturation, window_cpu
from bench.targets import in_database
from tests.support import ROOT, free_port


def step(asked: float, **changes: Any) -> dict[str, Any]:
    """A measured step that met everything, with ``changes`` applied."""
    s: dict[str, Any] = {
        "asked": asked,
        "offered_per_s": asked,
        "acked_per_s": asked,
        "unacked": 0,
        "rejects": 0,
        "errors": 0,
        "closed": 0,
        "ack": {"p50": 5.0, "p99": 40.0},
    }
    s.update(changes)
    return s


def test_a_step_fully_acked_in_time_passes() -> None:
    assert failures(step(5000), 5000) == []


def test_unacked_moves_fail_a_step_and_say_how_many() -> None:
    assert failures(step(5000, unacked=12), 5000) == ["12 unacked"]


def test_acks_behind_the_offered_rate_fail_a_step() -> None:
    why = failures(step(5000, acked_per_s=4000.0), 5000)
    assert why == ["acks behind (4000/s)"]


def test_a_slow_p99_fails_a_step() -> None:
    assert failures(step(5000, ack={"p50": 9.0, "p99": 251.0}), 5000) == ["ack p99 251 ms > 250"]


def test_a_load_generator_that_could_not_offer_the_rate_fails_the_step() -> None:
    why = failures(step(10000, offered_per_s=9000.0, acked_per_s=9000.0), 10000)
    assert why == ["offered only 9000/s"]


def test_rejects_errors_and_closed_sockets_fail_a_step() -> None:
    assert failures(step(2500, rejects=1, closed=2), 2500) == ["1 rejects, 0 errors, 2 closed"]


def test_saturation_is_the_highest_step_fully_acked_in_time() -> None:
    def judged(asked: float, **changes: Any) -> dict[str, Any]:
        s = step(asked, **changes)
        s["failures"] = failures(s, asked)
        return s

    late = {"ack": {"p50": 90.0, "p99": 900.0}}
    steps = [
        judged(2500, **late),  # a slow moment: does not hide the step above it
        judged(5000),
        judged(7500, **late),
        judged(10000, unacked=40, acked_per_s=8000.0, **late),
    ]
    assert saturation(steps) == 5000.0
    assert saturation(steps, latency=False) == 7500.0
    assert [kept_up(s) for s in steps] == [True, True, True, False]
    assert saturation([judged(2500, unacked=1)]) == 0.0
    assert saturation([]) == 0.0


def test_cpu_per_move_and_the_window() -> None:
    assert per_move_us(2.0, 40_000) == 50.0
    assert per_move_us(1.0, 0) == 0.0
    # A process that appeared inside the window counts whole; one that ended is dropped.
    assert window_cpu({1: 10.0, 2: 5.0}, {1: 12.5, 3: 0.25}) == 2.75


def test_every_person_has_a_card_a_cookie_and_a_seed_of_their_own() -> None:
    setup = {
        "forums": [
            {"id": f"f{f}", "port": 8000 + f % 2, "token": f"t{f}", "cards": ["c1", "c2", "c3"]}
            for f in range(4)
        ],
        "cookies": [f"name{i}" for i in range(12)],
    }
    people = people_of(setup, 3, seed=7)
    assert len(people) == 12
    assert len({(p.forum, p.card) for p in people}) == 12
    assert len({p.cookie for p in people}) == 12
    assert len({p.seed for p in people}) == 12
    assert {p.port for p in people if p.forum == "f1"} == {8001}
    # Another run of the same people: other seeds, so no op id repeats (R6).
    again = people_of(setup, 3, seed=8)
    assert not {p.seed for p in people} & {p.seed for p in again}


def test_moves_are_poisson_timed_and_senders_are_not_in_lockstep() -> None:
    def gaps(seed: int, n: int = 4000) -> list[float]:
        source = poisson_gaps(random.Random(seed), 50.0)
        return [next(source) for _ in range(n)]

    a, b = gaps(1), gaps(2)
    assert abs(statistics.mean(a) - 1 / 50) < 0.002  # mean gap 1/rate
    assert abs(statistics.stdev(a) - 1 / 50) < 0.002  # exponential: stdev = mean
    # Two senders' send times differ from the first move on.
    t_a, t_b = 0.0, 0.0
    apart = 0
    for x, y in zip(a[:100], b[:100], strict=True):
        t_a, t_b = t_a + x, t_b + y
        apart += abs(t_a - t_b) > 0.001
    assert apart > 95


def test_postgres_processes_are_told_apart_by_their_titles() -> None:
    db = "sbbench_ab12cd_k1"
    assert postgres_role(f"postgres: 15/main: postgres {db} 127.0.0.1(41230) idle", db) == (
        "backend"
    )
    assert postgres_role(f"postgres: bench {db} [local] COMMIT", db) == "backend"
    assert postgres_role("postgres: 15/main: postgres test 127.0.0.1(41231) idle", db) is None
    assert postgres_role("postgres: 15/main: walwriter", db) == "shared"
    assert postgres_role("postgres: 15/main: background writer", db) == "shared"
    assert postgres_role("postgres: 15/main: autovacuum launcher", db) is None
    assert postgres_role("/usr/bin/python -m server serve", db) is None


def test_a_database_of_the_bench_keeps_the_servers_address_and_options() -> None:
    url = "postgresql://u:pw@db.example:5433/test?sslmode=require"
    assert in_database(url, "sbbench_x_k2") == (
        "postgresql://u:pw@db.example:5433/sbbench_x_k2?sslmode=require"
    )


def test_the_case_fails_with_a_clear_message_when_postgresql_cannot_be_reached() -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/test"  # nothing listens there
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "scaleout", "--pg", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"the scale-out case needs PostgreSQL and cannot connect to {url}" in proc.stderr
    assert "saturation" not in proc.stdout  # nothing was measured
