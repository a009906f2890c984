"""``python -m bench --only webhooks``: a live board's fan-out with 10 webhook
subscriptions to a slow receiver, against the same board with none, in one run.

The same Scaleboard process and load (N clients of one forum, 4 senders moving cards),
plus, in both variants, decisions recorded on that forum through the API at a steady
rate (the ops that make events). In the "with" variant 10 subscriptions (the admin's,
every forum) want those decisions, and the receiver (``tests/receiver.py``, a process
of its own) takes 0.2 s to answer each: hundreds of deliveries in flight or waiting.
The variants alternate (without, with, without, with) and each figure is the mean of
its runs. The target (issue 16): fan-out p99 with the subscriptions at most 1.1×
without (docs/performance.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.receiver import Receiver
from tests.support import free_port

if TYPE_CHECKING:
    from bench.servers import Servers

Load = Callable[..., tuple[dict[str, Any], float]]
SUBSCRIPTIONS = 10
DECISIONS_PER_S = 5.0
SLOW = 0.2  # seconds the receiver takes to answer


def _decide(servers: Servers, forum: str, stop: threading.Event, made: list[int]) -> None:
    """Record decisions on ``forum`` at ``DECISIONS_PER_S`` until ``stop``."""
    n = 0
    while not stop.wait(1 / DECISIONS_PER_S):
        status, _ = servers.scaleboard.request(
            "POST", f"/api/forums/{forum}/decisions", {"text": f"Decision {n}"}
        )
        n += status == 201
    made.append(n)


def _subscribe(servers: Servers, receiver: Receiver) -> list[str]:
    ids = []
    for i in range(SUBSCRIPTIONS):
        status, sub = servers.scaleboard.request(
            "POST",
            "/api/hooks",
            {"url": receiver.url(f"bench-{i}"), "kinds": ["decision.recorded"], "format": "slack"},
        )
        assert status == 201, sub
        receiver.control(secrets={f"/bench-{i}": sub["secret"]})
        ids.append(sub["id"])
    return ids


def webhooks(servers: Servers, load: Load, quick: bool) -> dict[str, Any]:
    n, rate, senders, duration = (20, 20, 2, 2.0) if quick else (200, 20, 4, 15.0)
    process = servers.scaleboard
    pid = process.proc.pid  # type: ignore[union-attr]
    receiver = Receiver(free_port()).start()
    receiver.control(mode="slow", delay=SLOW)
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    try:
        for who in ("without", "with") if quick else ("without", "with") * 2:
            forum = servers.forum(senders)
            assert process.request("POST", f"/api/forums/{forum}/sessions", {})[0] == 201
            subs = _subscribe(servers, receiver) if who == "with" else []
            stop, made = threading.Event(), []
            deciding = threading.Thread(target=_decide, args=(servers, forum, stop, made))
            deciding.start()
            try:
                result, _ = load(
                    "scaleboard",
                    process.port,
                    pid,
                    [forum],
                    clients=n,
                    senders=senders,
                    rate=rate,
                    duration=duration,
                    tokens=servers.participant_tokens([forum]),
                )
            finally:
                stop.set()
                deciding.join()
            delivered = sum(sum(c.values()) for c in receiver.stats()["counts"].values())
            result["decisions"] = made[0]
            result["webhooks_delivered"] = delivered
            runs[who].append(result)
            for sub in subs:  # the next run starts with none waiting
                assert process.request("DELETE", f"/api/hooks/{sub}")[0] == 204
    finally:
        receiver.stop()

    def mean(results: list[dict[str, Any]], key: str) -> float:
        return sum(r["latency"][key] for r in results) / len(results)

    a, b = mean(runs["without"], "p99"), mean(runs["with"], "p99")
    sent = sum(r["webhooks_delivered"] for r in runs["with"])
    print(
        f"webhooks N={n} | fan-out p99 {a:.2f} ms without, {b:.2f} ms with {SUBSCRIPTIONS} "
        f"subscriptions to a {SLOW:g} s receiver ({b / a if a else 0:.2f}×)"
        f" | p50 {mean(runs['without'], 'p50'):.2f} / {mean(runs['with'], 'p50'):.2f} ms"
        f" | webhooks delivered in the runs {sent}",
        flush=True,
    )
    return {"without": runs["without"], "with": runs["with"], "p99_without": a, "p99_with": b}
