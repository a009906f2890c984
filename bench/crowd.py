"""The scale-out case's load process: people in many forums, each moving cards at random.

Every person is one websocket, as a browser tab is: it connects with its forum's
participant link and a signed display-name cookie (``sb_name``, got from ``/name``), says
``hello``, reads everything the forum sends as it arrives and answers the server's pings
(``bench.load.Client``'s frame reader). Each person is also an independent sender: it
moves its own card between two columns with exponential gaps between moves (a Poisson
process of its own, its own random seed), so moves do not arrive in lockstep the way
fixed-interval senders started together do.

An op counts once its ack arrives, which the server sends only after the op's commit
(SPEC R8). Only ops sent inside the measured window are measured; after the window the
people stop sending and wait (``--drain``, at most) for those acks. Ops still without an
answer then are counted as ``unacked``.

The setup (forums, the port of the process each forum is on, its participant token and
cards, the name cookies) comes in a JSON file made by ``bench/scaleout.py``. It prints
JSON lines: ``{"event": "start"}`` and ``{"event": "end"}`` around the measured window,
then ``{"event": "result", ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import socket
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import ACK, Client, emit, percentiles

HELLO = '{"type":"hello","last_seq":null,"epoch":null}'
COLUMNS = ("removing", "new")


@dataclass(frozen=True)
class Person:
    """One browser tab: where it connects, who it is, which card it moves."""

    forum: str
    port: int
    token: str
    cookie: str
    card: str
    seed: int


def people_of(setup: dict[str, Any], per_forum: int, seed: int) -> list[Person]:
    """The people of ``setup`` (``forums``: id, port, token, cards; ``cookies``), the
    first ``per_forum`` of each forum, each with a card and a seed of its own (``seed``
    differs between runs, so op ids never repeat: a repeated id is a duplicate, R6)."""
    cookies = setup["cookies"]
    out = []
    for f, forum in enumerate(setup["forums"]):
        for i in range(per_forum):
            n = f * per_forum + i
            out.append(
                Person(
                    forum["id"],
                    forum["port"],
                    forum["token"],
                    cookies[n % len(cookies)],
                    forum["cards"][i],
                    seed=seed * 100_003 + n,
                )
            )
    return out


def poisson_gaps(rng: random.Random, rate: float) -> Any:
    """Gaps between one sender's moves: exponential with mean ``1 / rate`` (Poisson)."""
    while True:
        yield rng.expovariate(rate)


class Crowd:
    """The people of one run and what they measured."""

    def __init__(self, args: argparse.Namespace, people: list[Person]) -> None:
        self.args = args
        self.people = people
        self.sent: dict[bytes, float] = {}  # op id -> send time, for ops of the window
        self.acks: list[float] = []
        self.acked_in_window = 0  # acks that arrived inside the window (any op)
        self.measured_sent = 0
        self.rejects = 0
        self.errors = 0
        self.frames = 0
        self.welcomed = 0
        self.window: tuple[float, float] = (0.0, 0.0)

    def on_text(self, client: Client, payload: bytes) -> None:
        now = time.perf_counter()
        self.frames += 1
        m = ACK.match(payload)
        if m:
            if m.group(1) == b"reject":
                self.rejects += 1
            t = self.sent.pop(m.group(2), None)
            if t is not None and m.group(1) == b"ack":
                self.acks.append(now - t)
            start, end = self.window
            if start <= now < end:
                self.acked_in_window += 1
        elif payload.startswith(b'{"type":"welcome"'):
            self.welcomed += 1
        elif payload.startswith(b'{"type":"error"'):
            self.errors += 1

    async def connect(self, person: Person) -> Client:
        loop = asyncio.get_running_loop()
        query = urllib.parse.urlencode({"token": person.token})
        uri = f"ws://127.0.0.1:{person.port}/forums/{person.forum}/live?{query}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", person.port))

        def made() -> Client:
            client = Client(uri, self.on_text)
            client.request.headers["Cookie"] = f"sb_name={person.cookie}"
            return client

        _, client = await loop.create_connection(made, sock=sock)
        await asyncio.wait_for(client.opened, 30)
        client.name = person.forum
        client.send(HELLO)
        return client

    async def send_moves(self, client: Client, person: Person, rate: float, until: float) -> None:
        """Move the person's card back and forth, Poisson-timed, until ``until``."""
        rng = random.Random(person.seed)
        gaps = poisson_gaps(rng, rate)
        due = time.perf_counter() + next(gaps)
        n = 0
        start, end = self.window
        while True:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            now = time.perf_counter()
            if now >= until or client.closed:
                return
            op_id = f"{person.seed}-{n}"
            column = COLUMNS[n % 2]
            client.send(
                f'{{"type":"op","id":"{op_id}","op":{{"type":"move_card",'
                f'"card":"{person.card}","column":"{column}","index":0}}}}'
            )
            if start <= now < end:
                self.sent[op_id.encode()] = now
                self.measured_sent += 1
            n += 1
            due += next(gaps)

    async def run(self) -> None:
        a = self.args
        sem = asyncio.Semaphore(100)

        async def one(person: Person) -> Client:
            async with sem:
                return await self.connect(person)

        clients = await asyncio.gather(*(one(p) for p in self.people))
        deadline = time.monotonic() + 60
        while self.welcomed < len(clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self.welcomed < len(clients):
            raise RuntimeError(f"only {self.welcomed} of {len(clients)} people welcomed")
        t0 = time.perf_counter()
        self.window = (t0 + a.warmup, t0 + a.warmup + a.duration)
        per_person = a.rate / len(self.people)
        senders = [
            asyncio.create_task(self.send_moves(c, p, per_person, self.window[1]))
            for c, p in zip(clients, self.people, strict=True)
        ]
        await asyncio.sleep(max(0.0, self.window[0] - time.perf_counter()))
        emit(event="start")
        await asyncio.gather(*senders)
        emit(event="end")
        drain_until = time.perf_counter() + a.drain
        while self.sent and time.perf_counter() < drain_until:
            await asyncio.sleep(0.02)
        closed = sum(1 for c in clients if c.closed)
        for c in clients:
            if c.transport is not None:
                c.transport.close()
        emit(
            event="result",
            people=len(self.people),
            forums=len({p.forum for p in self.people}),
            seconds=a.duration,
            sent=self.measured_sent,
            offered_per_s=self.measured_sent / a.duration,
            acked=len(self.acks),
            acked_per_s=self.acked_in_window / a.duration,
            unacked=len(self.sent),
            rejects=self.rejects,
            errors=self.errors,
            closed=closed,
            frames=self.frames,
            ack=percentiles(self.acks),
        )


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.crowd")
    p.add_argument("--setup", type=Path, required=True, help="JSON from bench/scaleout.py")
    p.add_argument("--people", type=int, default=5, help="people per forum, each a sender")
    p.add_argument("--rate", type=float, required=True, help="moves per second, all forums")
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--warmup", type=float, default=1.5)
    p.add_argument("--drain", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=time.time_ns() // 1000 % 10**9)
    args = p.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    setup = json.loads(args.setup.read_text())
    try:
        asyncio.run(Crowd(args, people_of(setup, args.people, args.seed)).run())
    except KeyboardInterrupt:
        sys.exit(1)


if __name__ == "__main__":
    main()
