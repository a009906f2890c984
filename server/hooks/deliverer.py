"""The deliverer: a background task that sends the outbox's deliveries (SPEC R62–R64).

Every ``tick`` seconds it claims the due deliveries in the database (a lease each:
another process of a cluster does not take them meanwhile, and a claim whose process
died is taken over when it runs out) and POSTs each, signed (R63), with a timeout, at
most ``PARALLEL`` at a time. A 2xx answer marks it delivered; anything else is retried
with exponential backoff and jitter, and the subscription is paused after
``PAUSE_AFTER`` failures in a row (R64). Once a minute it also writes the clock's events
(next steps due today or overdue), once each by key.

Sending never holds a room up: it runs beside the rooms, and a slow endpoint only
keeps its own deliveries waiting (``bench --only webhooks`` measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from typing import Final

import httpx
import msgspec

from board.outgoing import ForumRef, Outgoing, step_due
from server.hooks.formats import render
from server.hooks.signing import EVENT_HEADER, HEADER, KIND_HEADER, sign
from server.storage.hooks import Claimed, HookStore

log = logging.getLogger("scaleboard.hooks")

PAUSE_AFTER: Final = 8  # failed deliveries in a row that pause a subscription (R64)
GIVE_UP: Final = 15  # attempts after which one delivery is ``failed`` (R64)
PARALLEL: Final = 32  # requests in flight at once, at most
BATCH: Final = 50  # deliveries claimed at a time
MAX_BACKOFF: Final = 64  # the longest wait, in multiples of the first
SWEEP_SECONDS: Final = 60.0  # between looks for due and overdue next steps
USER_AGENT: Final = "Scaleboard-Webhooks/1"

_event = msgspec.json.Decoder(Outgoing)


def backoff(attempts: int, base: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: ``base``·2^(n-1), at most
    ``MAX_BACKOFF``·``base``, times a jitter of 0.8–1.2 so retries do not march together."""
    factor = min(2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return base * factor * (0.8 + 0.4 * (rng or random).random())


class Deliverer:
    """Sends the outbox's deliveries; ``start`` in the app's lifespan, ``stop`` first
    at shutdown (an unfinished request is cancelled: its claim runs out and it is sent
    again, at least once)."""

    def __init__(
        self,
        hooks: HookStore,
        *,
        public_url: str | None = None,
        retry_seconds: float = 10.0,
        timeout: float = 10.0,
        tick: float = 0.25,
    ) -> None:
        self.hooks = hooks
        self.public_url = public_url
        self.retry_seconds = retry_seconds
        self.timeout = timeout
        self.tick = tick
        # Longer than an attempt takes; a claim whose process died is sent again after it.
        self.lease = 2 * timeout + 5.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(PARALLEL)
        self._client: httpx.AsyncClient | None = None
        self._swept = 0.0

    def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,  # a redirect is an answer, not a success (SSRF)
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhooks")

    def wake(self) -> None:
        """Look for due deliveries now (a test event, a resumed subscription)."""
        self._wake.set()

    async def stop(self) -> None:
        tasks = [t for t in [self._task, *self._sending] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while True:
            try:
                if time.time() - self._swept >= SWEEP_SECONDS:
                    self._swept = time.time()
                    await self.sweep_steps(dt.date.today())
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the store busy or down for a moment: next tick
                log.warning("webhook delivery round failed, trying again: %r", e)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)

    async def sweep_steps(self, today: dt.date) -> int:
        """Write the events of next steps due today or overdue (each once, by key)."""
        now = time.time()
        made: list[Outgoing] = []
        for s in await self.hooks.due_steps(today):
            forum = ForumRef(id=s.forum_id, name=s.forum_name, kind=s.forum_kind)
            event = step_due(forum, s.step(), today, now)
            if event is not None:
                made.append(event)
        if made:
            await self.hooks.emit(made)
        return len(made)

    async def send_due(self) -> int:
        """Claim what is due and start sending it; how many were claimed."""
        free = PARALLEL - len(self._sending)
        if free <= 0:
            return 0
        claims = await self.hooks.claim(time.time(), self.lease, min(free, BATCH))
        for c in claims:
            task = asyncio.get_running_loop().create_task(self._send(c))
            self._sending.add(task)
            task.add_done_callback(self._sent)
        return len(claims)

    def _sent(self, task: asyncio.Task[None]) -> None:
        # A free slot is filled at the next tick, not at once: one claim a tick, however
        # many requests end, keeps the deliverer's share of the loop and the store small.
        self._sending.discard(task)

    async def _send(self, c: Claimed) -> None:
        async with self._slots:
            event = _event.decode(c.body)
            body = render(c.format, event, self.public_url or c.base_url)
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                HEADER: sign(c.secret, stamp, body),
                EVENT_HEADER: c.event_key,
                KIND_HEADER: event.kind,
            }
            status: int | None = None
            error = ""
            try:
                assert self._client is not None
                answer = await self._client.post(c.url, content=body, headers=headers)
                status = answer.status_code
                error = "" if 200 <= status < 300 else f"HTTP {status}"
            except httpx.TimeoutException:
                error = f"no answer within {self.timeout:g} s"
            except httpx.HTTPError as e:
                error = f"could not connect: {type(e).__name__}"
            await self._record(c, error, status)

    async def _record(self, c: Claimed, error: str, status: int | None) -> None:
        """Write what became of an attempt. If the store cannot take it now, the claim
        runs out and the delivery is sent again: at least once, never lost."""
        now = time.time()
        try:
            if not error and status is not None:
                await self.hooks.delivered(c, now, status)
                return
            await self.hooks.failed(
                c,
                now,
                error,
                status,
                now + backoff(c.attempts + 1, self.retry_seconds),
                give_up=GIVE_UP,
                pause_after=PAUSE_AFTER,
            )
        except Exception as e:
            log.warning("could not record a webhook attempt, it will be sent again: %r", e)
