"""Settings of one server process, with the defaults the README's command runs with."""

from __future__ import annotations

from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
# Scope key of the server's own websocket ``send`` (see ``app.keep_server_send``).
SERVER_SEND = "scaleboard.server_send"


class Settings(msgspec.Struct, kw_only=True):
    """Every number the server runs with. ``docs/architecture.md`` lists them."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: Path | str = Path("scaleboard.db")  # a SQLite file, or a postgresql:// URL
    demo: bool = True  # create the demo network when the database is new
    # The admin's token (env SCALEBOARD_ADMIN_TOKEN or --admin-token). None: one is made
    # on the first run and its link printed once (docs/access.md).
    admin_token: str | None = None
    # Behind a reverse proxy (docs/scale-out.md#routing): the addresses whose
    # X-Forwarded-For/-Proto uvicorn believes (uvicorn's own default), and the name this
    # process gives itself in an ``X-Scaleboard-Process`` header (None: no header).
    forwarded_allow_ips: str = "127.0.0.1,::1"
    process_name: str | None = None

    # Live connections (SPEC R1, R14-R16).
    max_message_bytes: int = 64 * 1024  # larger: ``error`` too_large, then close 1009
    max_frame_bytes: int = 1024 * 1024  # uvicorn's cap (its default is 16 MiB)
    ops_per_second: int = 50
    ops_burst: int = 200
    max_connections_per_forum: int = 2000
    max_backlog_frames: int = 512  # frames queued for a slow client before it is dropped
    max_backlog_bytes: int = 1 << 20  # ... or this much text queued for it
    ping_interval: float = 15.0
    ping_timeout: float = 10.0

    # Rooms.
    idle_seconds: float = 60.0  # a room with nobody connected is evicted after this
    snapshot_every: int = 500  # ops between board snapshots in the store
    max_batch: int = 1024  # messages a room handles in one turn (one frame, one commit)
    coalesce_seconds: float = 0.002  # under sustained load, a turn gathers this long

    # One writer per forum (docs/scale-out.md#one-writer-per-forum): a process's claim
    # on a live forum lasts this long unless renewed (every third of it); a forum it
    # gave up to another process it does not ask back for before this long.
    lease_seconds: float = 1.5
    handover_hold_seconds: float = 5.0
    # Mail between forums (SPEC R18a): every this long, a process delivers the mail
    # still waiting for forums live here or held by nobody (``server/live/mail.py``).
    mail_sweep_seconds: float = 2.0

    # Outgoing webhooks (server/hooks): the address links in messages start with (default:
    # the one the subscription was made through), the first retry's wait (doubling after
    # each failure, SPEC R62) and each attempt's timeout.
    public_url: str | None = None
    hook_retry_seconds: float = 10.0
    hook_timeout: float = 10.0

    # Boards: a dependency open longer than this many days stands out (board/dependencies.py).
    sprint_days: int = 14
