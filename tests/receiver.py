"""A webhook receiver for tests: its own process on a loopback port (real HTTP, real
signatures), run as ``python -m tests.receiver PORT``, and ``Receiver`` to start and
steer it from a test.

Every POST to a path other than ``/_control`` is a delivery: the receiver checks its
``X-Scaleboard-Signature`` against the secret registered for that path (as
docs/integrations.md tells a receiver to: HMAC-SHA256 over ``"<t>.<body>"``, written
here independently of ``server/hooks/signing.py``), counts it by its idempotency key
(``X-Scaleboard-Event-Id``) and keeps its body, then answers as told: ``ok`` (204),
``fail`` (the status given), ``slow`` (204 after ``delay`` s) or ``timeout`` (no answer
for ``delay`` s). ``POST /_control`` sets the mode and secrets; ``GET /_stats`` says
what came.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mode: dict[str, Any] = {"mode": "ok", "status": 500, "delay": 0.0}
        self.secrets: dict[str, str] = {}
        self.counts: dict[str, dict[str, int]] = {}  # path -> key -> deliveries
        self.bodies: dict[str, list[Any]] = {}  # path -> bodies, in order
        self.bad: int = 0  # requests whose signature did not verify
        self.attempts: dict[str, int] = {}  # path -> requests, whatever the answer


def verified(secret: str, header: str, body: bytes, now: float) -> bool:
    fields = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    mac = hmac.new(secret.encode(), str(stamp).encode() + b"." + body, hashlib.sha256)
    return abs(now - stamp) <= 300 and hmac.compare_digest(mac.hexdigest(), fields.get("v1", ""))


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if body:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with state.lock:
                out = {
                    "counts": state.counts,
                    "bodies": state.bodies,
                    "bad": state.bad,
                    "attempts": state.attempts,
                }
                data = json.dumps(out).encode()
            self._answer(200, data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/_control":
                told = json.loads(body)
                with state.lock:
                    state.secrets.update(told.pop("secrets", {}))
                    state.mode.update(told)
                self._answer(204)
                return
            with state.lock:
                mode = dict(state.mode)
                state.attempts[self.path] = state.attempts.get(self.path, 0) + 1
                secret = state.secrets.get(self.path)
                header = self.headers.get("X-Scaleboard-Signature", "")
                if secret is None or not verified(secret, header, body, time.time()):
                    state.bad += 1
                    ok = False
                else:
                    ok = True
            if mode["mode"] in ("slow", "timeout"):
                time.sleep(float(mode["delay"]))
            if not ok:
                self._answer(401)
                return
            if mode["mode"] in ("fail", "timeout"):
                self._answer(int(mode["status"]) if mode["mode"] == "fail" else 504)
                return
            key = self.headers.get("X-Scaleboard-Event-Id", "")
            with state.lock:
                per = state.counts.setdefault(self.path, {})
                per[key] = per.get(key, 0) + 1
                state.bodies.setdefault(self.path, []).append(json.loads(body))
            self._answer(204)

    return Handler


def main() -> None:
    ThreadingHTTPServer.request_queue_size = 256  # a burst of connections is not refused
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), make_handler(State()))
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


class Receiver:
    """The receiver process, from a test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def start(self) -> Receiver:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.receiver", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == b"ready"
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def control(self, **told: Any) -> None:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_control", data=json.dumps(told).encode()
        )
        urllib.request.urlopen(req, timeout=5).close()

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stats", timeout=5) as r:
            out: dict[str, Any] = json.loads(r.read())
            return out

    def wait_for(self, check: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The stats once ``check(stats)`` is true; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if check(stats):
                return stats
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver never got what was expected: {stats}")
            time.sleep(0.05)


if __name__ == "__main__":
    main()
