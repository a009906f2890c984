"""``python -m bench --only nginx``: the fan-out case through nginx vs direct.

The same Scaleboard process, the same load (N clients of one forum, 4 senders moving
cards at 20 moves/s in all), once on the process's own port and once through nginx
running ``deploy/nginx/scaleboard.conf`` (``tests/nginx.py``, as ``scaleboard cluster``
runs it) in front of it. Direct and nginx runs alternate (direct, nginx, direct,
nginx) and each figure is the mean of its runs, so a slow moment of the machine does
not land on one side. The target: p99 through nginx at most 1.2× direct
(docs/performance.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.nginx import Nginx

if TYPE_CHECKING:
    from bench.servers import Servers

Load = Callable[..., tuple[dict[str, Any], float]]


def through_nginx(servers: Servers, load: Load, quick: bool) -> dict[str, Any]:
    n, rate, senders, duration = (20, 20, 2, 2.0) if quick else (200, 20, 4, 20.0)
    process = servers.scaleboard
    pid = servers.scaleboard_pid
    runs: dict[str, list[dict[str, Any]]] = {"direct": [], "nginx": []}
    with tempfile.TemporaryDirectory() as rundir:
        nginx = Nginx(Path(rundir), [process.port]).start()
        try:
            for who in ("direct", "nginx") if quick else ("direct", "nginx") * 2:
                port = nginx.port if who == "nginx" else process.port
                forum = servers.forum(senders)
                result, _ = load(
                    "scaleboard",
                    port,
                    pid,
                    [forum],
                    clients=n,
                    senders=senders,
                    rate=rate,
                    duration=duration,
                    tokens=servers.participant_tokens([forum]),
                    names=servers.names,
                )
                runs[who].append(result)
        finally:
            nginx.stop()

    def mean(who: str, key: str) -> float:
        return sum(r["latency"][key] for r in runs[who]) / len(runs[who])

    p99_direct, p99_nginx = mean("direct", "p99"), mean("nginx", "p99")
    p50_direct, p50_nginx = mean("direct", "p50"), mean("nginx", "p50")
    delivered = sum(r["delivered"] for rs in runs.values() for r in rs)
    expected = sum(r["expected"] for rs in runs.values() for r in rs)
    ratio = p99_nginx / p99_direct if p99_direct else float("nan")
    print(
        f"fan-out N={n} {rate}/s through nginx vs direct"
        f" | p50 {p50_nginx:6.2f} / {p50_direct:6.2f} ms"
        f" | p99 {p99_nginx:6.2f} / {p99_direct:6.2f} ms ({ratio:.2f}×, target ≤ 1.2×)"
        f" | delivered {delivered}/{expected}",
        flush=True,
    )
    return {
        "clients": n,
        "rate": rate,
        "runs": runs,
        "p99_direct": p99_direct,
        "p99_nginx": p99_nginx,
        "ratio": ratio,
    }
