"""``scaleboard serve``: run the server with uvicorn (websockets-sansio, no compression)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from pathlib import Path

import uvicorn

from .app import create_app, keep_server_send
from .config import Settings


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
        type=Path,
        default=Path("scaleboard.db"),
        help="SQLite file (default ./scaleboard.db)",
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
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def uvicorn_config(settings: Settings, log_level: str = "info") -> uvicorn.Config:
    """The one way the server runs: the README's command, the tests and the benchmark."""
    return uvicorn.Config(
        keep_server_send(create_app(settings)),
        host=settings.host,
        port=settings.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        lifespan="on",
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_graceful_shutdown=5,
        server_header=False,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        if args.ops_per_second < 1 or args.ops_burst < 1:
            print("--ops-per-second and --ops-burst must be at least 1", file=sys.stderr)
            return 2
        settings = Settings(
            host=args.host,
            port=args.port,
            db=args.db,
            demo=not args.no_demo,
            ops_per_second=args.ops_per_second,
            ops_burst=args.ops_burst,
        )
        logging.basicConfig(
            level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
        )
        print(
            f"Scaleboard: http://{settings.host}:{settings.port}/"
            f"  (database: {settings.db.resolve()})",
            flush=True,
        )
        # uvicorn re-raises Ctrl-C once its graceful shutdown is done: not a crash.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(uvicorn_config(settings, args.log_level)).run()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
