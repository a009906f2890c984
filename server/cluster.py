"""``scaleboard cluster``: try the scale-out on one machine. K ``scaleboard serve``
processes on free loopback ports against one PostgreSQL database, nginx in front of
them with ``deploy/nginx/scaleboard.conf`` (consistent hash on the forum id), all
children of this command; Ctrl-C or SIGTERM stops them all (docs/scale-out.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from server.config import ROOT, Settings

TEMPLATE = ROOT / "deploy" / "nginx" / "scaleboard.conf"
LOCAL_DB = "postgresql://postgres@127.0.0.1:5432/scaleboard"
DB_ENV = "SCALEBOARD_CLUSTER_DB"
ADMIN_ENV = "SCALEBOARD_ADMIN_TOKEN"
NO_NGINX = (
    "nginx is not installed: the cluster needs it in front of its processes.\n"
    "Install it (Debian/Ubuntu): apt-get install nginx-light"
)


def nginx_binary() -> str | None:
    """The nginx to run: on PATH, else Debian's place for it."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def read_timeout(settings: Settings) -> int:
    """nginx's read/send timeout: a live socket is silent for at most a ping interval,
    and a dead one is noticed by the app within ping interval + ping timeout."""
    return max(60, int(2 * (settings.ping_interval + settings.ping_timeout)) + 1)


def site_config(ports: list[int], listen: str, timeout: int) -> str:
    """The template with its markers filled in: one upstream server a port."""
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=2 fail_timeout=10s;" for port in ports
    )
    text = TEMPLATE.read_text()
    text = text.replace("{{SERVERS}}", servers).replace("{{LISTEN}}", listen)
    text = text.replace("{{READ_TIMEOUT}}", str(timeout))
    if "{{" in text:
        raise ValueError("a marker of deploy/nginx/scaleboard.conf was left unfilled")
    return text


def main_config(rundir: Path, site: str) -> str:
    """A whole nginx.conf for ``nginx -p RUNDIR``: its pid, logs and temporary files in
    the run directory, so it runs without root and leaves nothing behind elsewhere."""
    temp = "\n".join(
        f"    {kind}_temp_path {rundir / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would switch to `nobody`, who cannot enter a private
    # run directory (a test's tmp_path is 0700): they stay root, as this command is.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"# Written by `scaleboard cluster`; the site is deploy/nginx/scaleboard.conf.\n"
        f"{user}worker_processes 1;\n"
        f"pid {rundir / 'nginx.pid'};\n"
        f"error_log {rundir / 'logs' / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"{temp}\n"
        "    default_type application/octet-stream;\n"
        f"{site}\n"
        f"    access_log {rundir / 'logs' / 'access.log'} scaleboard;  # no query strings\n"
        "}\n"
    )


def write_nginx(rundir: Path, ports: list[int], listen: str, settings: Settings) -> Path:
    """Write ``RUNDIR/nginx.conf`` (and make its directories); returns its path."""
    for sub in ("logs", "temp"):
        (rundir / sub).mkdir(parents=True, exist_ok=True)
    conf = rundir / "nginx.conf"
    conf.write_text(main_config(rundir, site_config(ports, listen, read_timeout(settings))))
    return conf


def nginx_command(nginx: str, rundir: Path) -> list[str]:
    return [nginx, "-p", str(rundir), "-c", str(rundir / "nginx.conf"), "-g", "daemon off;"]


async def ensure_database(url: str) -> None:
    """Create the database ``url`` names when it does not exist yet (when the role may)."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        parts = urllib.parse.urlsplit(url)
        name = parts.path.lstrip("/")
        conn = await asyncpg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return
    await conn.close()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


class Cluster:
    """K serve processes and nginx, started and stopped together. Each child is in a
    session of its own, so a terminal's Ctrl-C reaches this command only, which then
    stops them in order (a second signal would cut a process's graceful stop short)."""

    def __init__(self, db: str, processes: int, port: int, host: str, rundir: Path) -> None:
        self.db, self.k, self.port, self.host, self.rundir = db, processes, port, host, rundir
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.nginx: subprocess.Popen[bytes] | None = None

    def serve(self, i: int, token: str, extra: list[str]) -> subprocess.Popen[bytes]:
        port = free_port()
        self.ports.append(port)
        args = [sys.executable, "-m", "server", "serve", "--port", str(port), "--db", self.db]
        args += ["--process-name", f"p{i}-{port}", *extra]
        log = open(self.rundir / "logs" / f"p{i}.log", "ab")  # noqa: SIM115 - the child's
        env = {**os.environ, ADMIN_ENV: token}
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, nginx: str, token: str, settings: Settings, extra: list[str]) -> None:
        (self.rundir / "logs").mkdir(parents=True, exist_ok=True)
        # The first process alone: it creates (or migrates) the schema and seeds the
        # demo network once; the others then open a database that is ready.
        for i in range(self.k):
            proc = self.serve(i + 1, token, extra)
            if i == 0 and not wait_healthy(f"http://127.0.0.1:{self.ports[0]}", proc, 60):
                raise RuntimeError(self.failure("p1"))
        for i, proc in enumerate(self.procs[1:], start=2):
            if not wait_healthy(f"http://127.0.0.1:{self.ports[i - 1]}", proc, 60):
                raise RuntimeError(self.failure(f"p{i}"))
        write_nginx(self.rundir, self.ports, f"{self.host}:{self.port}", settings)
        errors = open(self.rundir / "logs" / "nginx.out", "ab")  # noqa: SIM115 - the child's
        self.nginx = subprocess.Popen(
            nginx_command(nginx, self.rundir),
            stdout=errors,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        errors.close()
        if not wait_healthy(f"http://{self.host}:{self.port}", self.nginx, 15):
            raise RuntimeError(self.failure("nginx.out") + self.failure("error.log"))

    def failure(self, name: str) -> str:
        path = self.rundir / "logs" / (name if "." in name else f"{name}.log")
        try:
            tail = path.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            tail = ""
        return f"{name} did not start ({path}):\n{tail}\n"

    def alive(self) -> bool:
        return all(p.poll() is None for p in [*self.procs, *([self.nginx] if self.nginx else [])])

    def stop(self) -> None:
        """nginx first (no new requests), then each process gracefully (SIGTERM: acks,
        close 1012, exit; docs/reliability.md), killed if it takes too long."""
        everyone = ([self.nginx] if self.nginx else []) + self.procs
        for proc in everyone:
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if proc is self.nginx else signal.SIGTERM)
        for proc in everyone:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def add_cluster_parser(sub: Any) -> None:
    p = sub.add_parser(
        "cluster",
        help="try the scale-out: K processes on one PostgreSQL database behind nginx",
    )
    p.add_argument("--processes", type=int, default=3, help="processes (default 3)")
    p.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    p.add_argument("--host", default="127.0.0.1", help="nginx's address (default 127.0.0.1)")
    p.add_argument(
        "--db",
        default=None,
        help=f"postgresql://user@host/dbname (default: env {DB_ENV}, else {LOCAL_DB}, "
        "created when missing). SQLite cannot be shared by several processes.",
    )
    p.add_argument("--run-dir", type=Path, default=None, help="nginx.conf and logs (default: new)")
    p.add_argument("--no-demo", action="store_true", help="no demo network in a new database")
    p.add_argument(
        "--admin-token", default=None, help=f"the admin's token (default env {ADMIN_ENV})"
    )


def run_cluster(args: argparse.Namespace) -> int:
    """``scaleboard cluster``: start everything, print the links, wait for a signal."""
    from server.access.service import MIN_ADMIN_TOKEN
    from server.access.signing import new_token
    from server.app import admin_link
    from server.storage import shown

    db = args.db or os.environ.get(DB_ENV) or LOCAL_DB
    if not db.startswith(("postgresql://", "postgres://")):
        print(
            f"--db {db}: a cluster needs PostgreSQL (postgresql://user@host/dbname). Several "
            "processes on one SQLite file are not supported: each keeps its rooms in memory "
            "and its own writer, so they would overwrite each other's forums.",
            file=sys.stderr,
        )
        return 2
    if not 1 <= args.processes <= 64:
        print("--processes must be 1 to 64", file=sys.stderr)
        return 2
    nginx = nginx_binary()
    if nginx is None:
        print(NO_NGINX, file=sys.stderr)
        return 2
    token = args.admin_token or os.environ.get(ADMIN_ENV) or new_token()
    if len(token) < MIN_ADMIN_TOKEN:
        print(f"The admin token must have at least {MIN_ADMIN_TOKEN} characters.", file=sys.stderr)
        return 2
    try:
        asyncio.run(ensure_database(db))
    except Exception as e:
        print(f"Could not reach PostgreSQL at {shown(db)}: {e}", file=sys.stderr)
        return 2
    rundir = args.run_dir or Path(f"scaleboard-cluster-{time.strftime('%Y%m%d-%H%M%S')}")
    rundir = rundir.resolve()
    rundir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(db, args.processes, args.port, args.host, rundir)
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    extra = ["--no-demo"] if args.no_demo else []
    try:
        cluster.start(nginx, token, Settings(), extra)
        site = Settings(host=args.host, port=args.port)
        print(
            f"Scaleboard cluster: http://{args.host}:{args.port}/  ({args.processes} processes "
            f"on {', '.join(map(str, cluster.ports))}; database: {shown(db)})\n"
            f"Admin: {admin_link(site, token)}\n"
            f"nginx.conf and logs: {rundir}\nCtrl-C stops everything.",
            flush=True,
        )
        while not stopping and cluster.alive():
            time.sleep(0.2)
        if not stopping:
            print("A process of the cluster exited; stopping the others.", file=sys.stderr)
            return 1
        return 0
    except RuntimeError as e:
        print(str(e), file=sys.stderr)
        return 1
    finally:
        cluster.stop()
