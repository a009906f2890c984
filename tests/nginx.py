"""A real nginx for tests and the benchmark: ``deploy/nginx/scaleboard.conf`` filled in
by ``server.cluster`` exactly as ``scaleboard cluster`` does, run in the foreground from
a run directory of its own (pid, logs, temporary files there), in front of server
processes on loopback ports. A missing nginx FAILS with what to install (never a skip).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.request
from pathlib import Path

from server.cluster import NO_NGINX, nginx_binary, nginx_command, write_nginx
from server.config import Settings
from tests.support import free_port


def require_nginx() -> str:
    """The nginx binary, or an error saying how to get one (scripts/test installs it)."""
    found = nginx_binary()
    if found is None:
        raise RuntimeError(NO_NGINX + " (./scripts/test installs it when missing)")
    return found


class Nginx:
    """nginx in a child process, routing to ``ports`` (the upstream, in that order)."""

    def __init__(self, rundir: Path, ports: list[int], port: int | None = None) -> None:
        self.rundir = rundir
        self.ports = ports
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.rundir / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.rundir / "logs" / "error.log"

    def start(self, timeout: float = 15.0) -> Nginx:
        nginx = require_nginx()
        write_nginx(self.rundir, self.ports, f"127.0.0.1:{self.port}", Settings())
        out = open(self.rundir / "logs" / "nginx.out", "ab")  # noqa: SIM115 - the child's
        self.proc = subprocess.Popen(
            nginx_command(nginx, self.rundir), stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start:\n{self.log()}")

    def log(self) -> str:
        text = ""
        for path in (self.rundir / "logs" / "nginx.out", self.error_log):
            with contextlib.suppress(FileNotFoundError):
                text += path.read_text(errors="replace")[-3000:]
        return text

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
