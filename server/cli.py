"""``scaleboard serve``: run the server with uvicorn (websockets-sansio, no compression)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote_plus

import uvicorn
from litestar import Litestar

from server.access import admin_token
from server.access.service import MIN_ADMIN_TOKEN
from server.access.signing import new_token
from server.app import admin_link, asgi, create_app
from server.cluster import add_cluster_parser, run_cluster
from server.config import Settings
from server.live import transport
from server.live.shutdown import GRACEFUL_SECONDS, serve
from server.storage import StoreError, open_storage, shown, store_at
from server.storage.signals import ADMIN

ADMIN_ENV = "SCALEBOARD_ADMIN_TOKEN"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scaleboard", description="Live boards for Scrum@Scale forums."
    )
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--db",
        type=store_at,
        default=Path("scaleboard.db"),
        help="SQLite file (default ./scaleboard.db), or a PostgreSQL database: "
        "postgresql://user@host/dbname",
    )
    serve.add_argument(
        "--no-demo", action="store_true", help="do not create the demo network in a new database"
    )
    serve.add_argument(
        "--ops-per-second",
        type=int,
        default=Settings().ops_per_second,
        help="operations a second one connection may send, on average (default %(default)s)",
    )
    serve.add_argument(
        "--ops-burst",
        type=int,
        default=Settings().ops_burst,
        help="operations one connection may send in a burst (default %(default)s)",
    )
    serve.add_argument(
        "--ping-interval",
        type=float,
        default=Settings().ping_interval,
        help="seconds between heartbeats to each live connection (default %(default)s)",
    )
    serve.add_argument(
        "--ping-timeout",
        type=float,
        default=Settings().ping_timeout,
        help="seconds a connection has to answer a heartbeat (default %(default)s)",
    )
    serve.add_argument(
        "--lease",
        type=float,
        default=Settings().lease_seconds,
        help="seconds a process's ownership of a live forum lasts unless renewed; "
        "the longest a dead owner holds its forums (default %(default)s)",
    )
    serve.add_argument(
        "--mail-sweep",
        type=float,
        default=Settings().mail_sweep_seconds,
        help="seconds between looks for mail between forums still to deliver: the longest "
        "a change waits when its forum's process missed it (default %(default)s)",
    )
    serve.add_argument(
        "--public-url",
        default=None,
        help="the address people open Scaleboard at, for links in webhook messages "
        "(default: the address each subscription was made through)",
    )
    serve.add_argument(
        "--hook-retry",
        type=float,
        default=Settings().hook_retry_seconds,
        help="seconds before a failed webhook is retried, doubling each time (default %(default)s)",
    )
    serve.add_argument(
        "--hook-timeout",
        type=float,
        default=Settings().hook_timeout,
        help="seconds a webhook receiver has to answer (default %(default)s)",
    )
    serve.add_argument(
        "--sprint-days",
        type=int,
        default=Settings().sprint_days,
        help="a sprint's length: dependencies open longer stand out; the network's sprints "
        "until the admin sets them (default %(default)s)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        help=f"the admin's token (default: env {ADMIN_ENV}; else one is made on the first "
        "run and its link printed once)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=Settings().forwarded_allow_ips,
        help="reverse proxies whose X-Forwarded-For/-Proto are believed, comma-separated "
        "(default %(default)s; docs/scale-out.md#routing)",
    )
    serve.add_argument(
        "--process-name",
        default=None,
        help="name this process in an X-Scaleboard-Process header (scaleboard cluster sets it)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_cluster_parser(sub)
    link = sub.add_parser(
        "admin-link",
        help="replace the admin token and print the new admin link (the old one stops working)",
    )
    link.add_argument(
        "--db",
        type=store_at,
        default=Path("scaleboard.db"),
        help="SQLite file, or postgresql://user@host/dbname",
    )
    link.add_argument("--host", default="127.0.0.1", help="host in the printed link")
    link.add_argument("--port", type=int, default=8000, help="port in the printed link")
    move = sub.add_parser(
        "migrate",
        help="copy everything from one database to another (e.g. SQLite to PostgreSQL) "
        "and verify it by replaying every forum (docs/scale-out.md)",
    )
    move.add_argument("--from", dest="source", required=True, help="SQLite file or postgresql://…")
    move.add_argument("--to", dest="target", required=True, help="SQLite file or postgresql://…")
    move.add_argument("--force", action="store_true", help="replace what the target holds")
    return p


async def new_admin_token(db: Path | str) -> str:
    """Replace the admin token of the database ``db``; returns the new token."""
    storage = await open_storage(db)
    try:
        token = new_token()
        secret = await storage.forums.secret()
        await storage.access.set_admin_hash(admin_token.record(secret, token))
        await storage.signals.publish(ADMIN)  # running servers close the admin's sockets
    finally:
        await storage.close()
    return token


class Redact(logging.Filter):
    """Keeps tokens and cookies out of the logs: at debug level uvicorn logs every request
    line (``?token=`` of a link: the edge takes it out of the URL first, this is the
    second line of defence) and the websocket layer each handshake's headers (cookies).

    It redacts inside the record's arguments, which it keeps (uvicorn's access formatter
    reads its five), and a parameter counts as ``token`` however it is percent-encoded
    (``?%74oken=``)."""

    PARAM = re.compile(r"([^\s?&;'\"=]+)=([^&\s'\"]*)")
    HEADER = re.compile(
        r"^(\s*[<>] (?:cookie|set-cookie|authorization):).*$", re.IGNORECASE | re.MULTILINE
    )
    TOKEN = re.compile(r"(?:^|\W)token$", re.IGNORECASE)
    FEED = re.compile(r"/feeds/[^\s\"'?]+")  # a calendar feed's URL (server/feeds)

    @classmethod
    def is_token(cls, key: str) -> bool:
        for _ in range(4):  # ``%2574oken`` is ``%74oken`` once decoded: decode until stable
            decoded = unquote_plus(key)
            if decoded == key:
                break
            key = decoded
        return cls.TOKEN.search(key) is not None

    @classmethod
    def clean(cls, text: str) -> str:
        text = cls.HEADER.sub(lambda m: m.group(1) + " [hidden]", text)
        text = cls.FEED.sub("/feeds/[hidden].ics", text)
        return cls.PARAM.sub(
            lambda m: f"{m.group(1)}=[hidden]" if cls.is_token(m.group(1)) else m.group(0), text
        )

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(self.clean(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, Mapping):
            record.args = {k: self.clean(v) if isinstance(v, str) else v for k, v in args.items()}
        if not record.args:
            if isinstance(record.msg, str):
                record.msg = self.clean(record.msg)
            return True
        try:
            text = record.getMessage()
        except Exception:  # a broken call: logging reports it itself
            return True
        clean = self.clean(text)
        if clean != text:  # the secret came from a non-text argument, or the template
            record.msg, record.args = clean, ()
        return True


def uvicorn_config(
    settings: Settings, log_level: str = "info", app: Litestar | None = None
) -> uvicorn.Config:
    """The one way the server runs: the README's command, the tests and the benchmark
    (``app``: one already made, for a test that looks into it; default, a new one)."""
    config = uvicorn.Config(
        asgi(app if app is not None else create_app(settings), settings.process_name),
        host=settings.host,
        port=settings.port,
        ws=transport.PROTOCOL,  # uvicorn's websockets-sansio, holding less (transport.py)
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        lifespan="on",
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
        proxy_headers=True,  # X-Forwarded-For/-Proto, from these addresses only
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # set up by Config
        logging.getLogger(name).addFilter(Redact())
    return config


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "migrate":
        from server import migrate  # only this command needs it

        return migrate.main(args.source, args.target, force=args.force)
    if args.command == "cluster":
        return run_cluster(args)
    if args.command == "admin-link":
        if isinstance(args.db, Path) and not args.db.exists():
            print(f"There is no database at {args.db}.", file=sys.stderr)
            return 2
        try:
            token = asyncio.run(new_admin_token(args.db))
        except StoreError as e:
            print(f"Could not open the database: {e}", file=sys.stderr)
            return 2
        print(f"Admin: {admin_link(Settings(host=args.host, port=args.port), token)}")
        print("The previous admin link no longer works.", file=sys.stderr)
        return 0
    if args.command == "serve":
        admin_token = args.admin_token or os.environ.get(ADMIN_ENV) or None
        if admin_token is not None and len(admin_token) < MIN_ADMIN_TOKEN:
            print(
                f"The admin token must have at least {MIN_ADMIN_TOKEN} characters.",
                file=sys.stderr,
            )
            return 2
        if args.ops_per_second < 1 or args.ops_burst < 1:
            print("--ops-per-second and --ops-burst must be at least 1", file=sys.stderr)
            return 2
        if not 0.1 <= args.ping_interval <= 3600 or not 0.1 <= args.ping_timeout <= 3600:
            print("--ping-interval and --ping-timeout must be 0.1 to 3600 s", file=sys.stderr)
            return 2
        if not 0.3 <= args.lease <= 600:
            print("--lease must be 0.3 to 600 s", file=sys.stderr)
            return 2
        if not 0.1 <= args.mail_sweep <= 3600:
            print("--mail-sweep must be 0.1 to 3600 s", file=sys.stderr)
            return 2
        if not 0.01 <= args.hook_retry <= 3600 or not 0.1 <= args.hook_timeout <= 120:
            print(
                "--hook-retry must be 0.01 to 3600 s, --hook-timeout 0.1 to 120 s", file=sys.stderr
            )
            return 2
        if args.public_url is not None and not args.public_url.startswith(("http://", "https://")):
            print("--public-url must start with http:// or https://", file=sys.stderr)
            return 2
        if not 1 <= args.sprint_days <= 365:
            print("--sprint-days must be 1 to 365", file=sys.stderr)
            return 2
        settings = Settings(
            host=args.host,
            port=args.port,
            db=args.db,
            demo=not args.no_demo,
            ops_per_second=args.ops_per_second,
            ops_burst=args.ops_burst,
            ping_interval=args.ping_interval,
            ping_timeout=args.ping_timeout,
            sprint_days=args.sprint_days,
            lease_seconds=args.lease,
            mail_sweep_seconds=args.mail_sweep,
            public_url=args.public_url,
            hook_retry_seconds=args.hook_retry,
            hook_timeout=args.hook_timeout,
            admin_token=admin_token,
            forwarded_allow_ips=args.forwarded_allow_ips,
            process_name=args.process_name,
        )
        logging.basicConfig(
            level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
        )
        # Their debug lines carry SQL parameters and raw handshakes, tokens included:
        # never logged, whatever the level (docs/access.md).
        for chatty in ("aiosqlite", "asyncpg", "websockets"):
            logging.getLogger(chatty).setLevel(max(logging.INFO, logging.root.level))
        # A webhook's URL is a secret of its own (a Slack or Teams URL is its credential):
        # httpx's request lines name it, so they are never logged.
        for chatty in ("httpx", "httpcore"):
            logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.root.level))
        print(
            f"Scaleboard: http://{settings.host}:{settings.port}/"
            f"  (database: {shown(settings.db)})",
            flush=True,
        )
        app = create_app(settings)  # SIGTERM and Ctrl-C: acks, then close 1012, then exit 0
        serve(uvicorn_config(settings, args.log_level, app), app)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
