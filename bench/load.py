"""The load generator: many websocket clients in one process, driven by one scenario.

It speaks to Scaleboard (a display name, hello, ops, acks, pongs) or to the baseline
relay (raw messages) with the same move messages, and measures, for every move, the
time from sending it to its arrival at each client (and, for Scaleboard, to its ack).

Timing is a meeting's by default (``--timing poisson``): every sender is a person of
its own with its own random generator, its own random start and exponential gaps
between its moves, so moves arrive at random times, not together. ``--timing
lockstep`` keeps the old schedule (every sender starts at the same instant with the same
interval: "20 moves/s" from 4 senders is 4 moves at once, 5 times a second) for the
named ``-lockstep`` cases only. Clients are built on
the websockets library's sans-I/O ``ClientProtocol`` over plain asyncio transports, so
the load generator spends as little CPU per message as possible and both servers are
measured with the same client.

It prints JSON lines: ``{"event": "start"}`` when the measured window opens,
``{"event": "end"}`` when it closes, then ``{"event": "result", ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

OP_ID = re.compile(rb'"(?:op_)?id":"([^"]+)"')
ACK = re.compile(rb'^\{"type":"(ack|reject)","id":"([^"]+)"')
TOKEN_ENV = "SCALEBOARD_BENCH_TOKEN"  # the token Scaleboard clients connect with


class Client(asyncio.Protocol):
    """One websocket connection; ``on_text(client, payload)`` gets each text message.

    The handshake and everything sent go through the websockets library's sans-I/O
    ``ClientProtocol``. Once open, incoming frames are cut by hand: servers send small
    unmasked, unfragmented frames, and a hand parser costs a microsecond where the
    library's costs tens, so the load process keeps up and latencies measure servers.
    """

    def __init__(self, uri: str, on_text: Callable[[Client, bytes], None]) -> None:
        self.proto = ClientProtocol(parse_uri(uri), max_size=None)
        self.request = self.proto.connect()
        self.on_text = on_text
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.name = ""
        self.buf = b""
        self.fast = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proto.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self.fast:
            self._frames(data)
            return
        proto = self.proto
        proto.receive_data(data)
        for event in proto.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.on_text(self, bytes(event.data))
            elif isinstance(event, Response):
                if event.status_code == 101 and not self.opened.done():
                    self.opened.set_result(None)
                    self.fast = True
                elif not self.opened.done():
                    self.opened.set_exception(ConnectionError(f"handshake: {event.status_code}"))
        self._flush()

    def _frames(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        i, n = 0, len(buf)
        while n - i >= 2:
            b0, b1 = buf[i], buf[i + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - i < 4:
                    break
                length, head = int.from_bytes(buf[i + 2 : i + 4], "big"), 4
            elif length == 127:
                if n - i < 10:
                    break
                length, head = int.from_bytes(buf[i + 2 : i + 10], "big"), 10
            if n - i < head + length:
                break
            payload = buf[i + head : i + head + length]
            i += head + length
            opcode = b0 & 0x0F
            if opcode == 1:
                self.on_text(self, payload)
            elif opcode == 9:
                self.proto.send_pong(payload)
                self._flush()
            elif opcode == 8:
                self.closed = True
        self.buf = buf[i:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during handshake"))

    def _flush(self) -> None:
        if self.transport is None:
            return
        for chunk in self.proto.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def send(self, text: str) -> None:
        if self.closed:
            return
        self.proto.send_text(text.encode())
        self._flush()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    values = sorted(values)
    n = len(values)
    return {
        "n": n,
        "p50": values[n // 2] * 1000,
        "p99": values[min(n - 1, int(n * 0.99))] * 1000,
        "max": values[-1] * 1000,
    }


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class Run:
    """One scenario against one server."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sent: dict[bytes, float] = {}
        self.latencies: list[float] = []
        self.acks: list[float] = []
        self.rejects = 0
        self.delivered = 0
        self.measuring = False
        self.acked_in_window = 0
        self.welcomed = 0

    # -- receiving ------------------------------------------------------------------

    def on_text(self, client: Client, payload: bytes) -> None:
        now = time.perf_counter()
        if payload.startswith(b'{"type":"welcome"'):
            self.welcomed += 1
            return
        m = ACK.match(payload)
        if m:
            t = self.sent.get(m.group(2))
            if m.group(1) == b"reject":
                self.rejects += 1
            elif t is not None and self.measuring:
                self.acks.append(now - t)
                self.acked_in_window += 1
            return
        for op_id in OP_ID.findall(payload):
            t = self.sent.get(op_id)
            if t is not None:
                self.delivered += 1
                if self.measuring and not self.args.no_latency:
                    self.latencies.append(now - t)

    # -- connecting -----------------------------------------------------------------

    async def connect(self, uri: str, small_buffer: bool = False, cookie: str = "") -> Client:
        loop = asyncio.get_running_loop()
        host, port = "127.0.0.1", self.args.port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, (host, port))

        def made() -> Client:
            client = Client(uri, self.on_text)
            if cookie:  # the signed display name a browser carries (``/name``)
                client.request.headers["Cookie"] = f"sb_name={cookie}"
            return client

        _, client = await loop.create_connection(made, sock=sock)
        await asyncio.wait_for(client.opened, 30)
        return client

    async def connect_all(self) -> dict[str, list[Client]]:
        a = self.args
        sem = asyncio.Semaphore(200)
        clients: dict[str, list[Client]] = {f: [] for f in a.forums}
        names: list[str] = json.loads(a.names.read_text()) if a.names else []
        tokens = dict(zip(a.forums, a.tokens.split(","), strict=True)) if a.tokens else {}

        async def one(forum: str, i: int) -> None:
            async with sem:
                uri = f"ws://127.0.0.1:{a.port}/forums/{forum}/live"
                if a.mode == "scaleboard" and forum in tokens:
                    uri += f"?token={tokens[forum]}"  # the forum's participant link
                elif a.mode == "scaleboard" and os.environ.get(TOKEN_ENV):
                    uri += f"?token={os.environ[TOKEN_ENV]}"  # access is on (docs/access.md)
                cookie = names[i % len(names)] if names else ""
                c = await self.connect(
                    uri, small_buffer=(a.stall and i == a.clients - 1), cookie=cookie
                )
                c.name = f"{forum}:{i}"
                if a.mode == "scaleboard":
                    c.send('{"type":"hello","last_seq":null,"epoch":null}')
                clients[forum].append(c)

        await asyncio.gather(*(one(f, i) for f in a.forums for i in range(a.clients)))
        if a.mode == "scaleboard":
            want = len(a.forums) * a.clients
            deadline = time.monotonic() + 60
            while self.welcomed < want and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return clients

    # -- sending --------------------------------------------------------------------

    async def sender(
        self, client: Client, card: str, rate: float, until: float, tag: str, seed: int
    ) -> int:
        """Move ``card`` back and forth between two columns at ``rate`` per second:
        Poisson-timed from a random start of its own, or (lockstep) every ``1 / rate``
        seconds from the instant every sender starts at."""
        columns = self.args.columns.split(",")
        interval = 1.0 / rate
        rng = random.Random(seed)
        poisson = self.args.timing == "poisson"
        n = 0
        start = time.perf_counter()
        due = start + (rng.uniform(0.0, interval) if poisson else 0.0)
        while True:
            if n and poisson:
                due += rng.expovariate(rate)
            elif n:
                due = start + n * interval
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            if time.perf_counter() >= until or client.closed:
                return n
            op_id = f"{tag}-{n}"
            column = columns[n % len(columns)]
            msg = (
                f'{{"type":"op","id":"{op_id}","op":{{"type":"move_card",'
                f'"card":"{card}","column":"{column}","index":0}}}}'
            )
            self.sent[op_id.encode()] = time.perf_counter()
            client.send(msg)
            n += 1

    async def run(self) -> None:
        a = self.args
        clients = await self.connect_all()
        if a.idle:
            emit(event="connected", clients=sum(len(c) for c in clients.values()))
            await asyncio.sleep(a.duration)
            emit(event="result", clients=sum(len(c) for c in clients.values()))
            return
        stalled: Client | None = None
        if a.stall:
            stalled = clients[a.forums[0]][-1]
            assert stalled.transport is not None
            stalled.transport.pause_reading()
        await asyncio.sleep(a.warmup)
        senders: list[Coroutine[Any, Any, int]] = []
        seed = a.seed if a.seed is not None else time.time_ns() % 10**9
        loop_end = time.perf_counter() + a.duration
        per_sender = a.rate / a.senders
        self.measuring = True
        emit(event="start")
        t0 = time.perf_counter()
        for forum in a.forums:
            for i in range(a.senders):
                client = clients[forum][i]
                card = f"c{a.card_offset + i + 1}"
                tag = f"{a.tag}{forum}.{i}"
                person_seed = seed * 100_003 + len(senders)
                senders.append(self.sender(client, card, per_sender, loop_end, tag, person_seed))
        counts = await asyncio.gather(*senders)
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(a.drain)
        self.measuring = False
        emit(event="end")
        moves = sum(counts)
        emit(
            event="result",
            moves=moves,
            seconds=elapsed,
            offered_per_s=moves / elapsed,
            acked_per_s=self.acked_in_window / elapsed,
            acked=self.acked_in_window,
            rejects=self.rejects,
            delivered=self.delivered,
            expected=moves * a.clients - (moves // a.senders if a.stall else 0),
            latency=percentiles(self.latencies),
            ack=percentiles(self.acks),
            stalled_closed=bool(stalled and stalled.closed),
        )


def parser() -> argparse.ArgumentParser:
    """The options of a load process (``bench.load`` and ``bench.wsclient`` share them)."""
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["scaleboard", "baseline"], required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--forums", type=lambda s: s.split(","), required=True)
    p.add_argument("--clients", type=int, default=50, help="clients per forum")
    p.add_argument("--senders", type=int, default=4, help="sending clients per forum")
    p.add_argument("--rate", type=float, default=20.0, help="moves per second per forum")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--drain", type=float, default=1.5)
    p.add_argument("--columns", default="removing,new")
    p.add_argument("--stall", action="store_true", help="the last client stops reading")
    p.add_argument("--idle", action="store_true", help="connect, then hold the connections")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--card-offset", type=int, default=0, help="sender i moves card c<offset+i+1>")
    p.add_argument("--tag", default="", help="prefix of this process's op ids")
    p.add_argument(
        "--timing",
        choices=["poisson", "lockstep"],
        default="poisson",
        help="poisson: independent senders, random start, exponential gaps (a meeting); "
        "lockstep: fixed interval, all senders started together",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed of the senders")
    p.add_argument(
        "--tokens",
        default="",
        help="comma-separated link tokens, one per forum (default: the admin's, from the "
        f"environment's {TOKEN_ENV})",
    )
    p.add_argument(
        "--names", type=Path, default=None, help="JSON list of signed sb_name cookies to cycle"
    )
    return p


def main() -> None:
    args = parser().parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(Run(args).run())
    except KeyboardInterrupt:
        sys.exit(1)


if __name__ == "__main__":
    main()
