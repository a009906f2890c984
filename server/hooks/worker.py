"""The deliverer in a process of its own, beside the server (SPEC R62): a live board
never shares its event loop or its core with webhook requests, however many and however
slow (``bench --only webhooks`` measures it).

``HookWorker`` (the server side) starts ``python -m server.hooks.worker`` at startup with
the server's store and webhook settings, starts it again if it ever ends, wakes it with
``SIGUSR1`` once it said ``ready`` (a test event, a resumed subscription; before that a
signal would end it) and stops it with ``SIGTERM`` before the rooms stop. The worker
runs ``Deliverer`` on its own connection to the store; it exits when its parent is gone
(a ``kill -9`` of the server), leaving its claims to run out, so a restarted server's
worker sends them again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Final

from server.hooks.deliverer import Deliverer
from server.storage import open_storage

log = logging.getLogger("scaleboard.hooks")

STOP_SECONDS: Final = 10.0  # a worker that does not stop after SIGTERM is killed
RESTART_SECONDS: Final = 1.0  # a worker that ended by itself is started again after this
READY: Final = b"ready"


class HookWorker:
    """The worker process, from the server's lifespan."""

    def __init__(
        self,
        db: str,
        *,
        public_url: str | None,
        retry_seconds: float,
        timeout: float,
    ) -> None:
        self.args = [sys.executable, "-m", "server.hooks.worker", "--db", db]
        self.args += ["--retry", str(retry_seconds), "--timeout", str(timeout)]
        self.args += ["--parent", str(os.getpid())]
        if public_url:
            self.args += ["--public-url", public_url]
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name="hooks")

    async def _supervise(self) -> None:
        while True:
            self.ready = False
            proc = self.proc = await asyncio.create_subprocess_exec(
                *self.args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
            )
            assert proc.stdout is not None
            if (await proc.stdout.readline()).strip() == READY:
                self.ready = True
            while await proc.stdout.readline():  # drained, so a stray print never blocks it
                pass
            code = await proc.wait()
            log.warning("the webhook worker ended (%s); starting it again", code)
            await asyncio.sleep(RESTART_SECONDS)

    def wake(self) -> None:
        """Look for due deliveries now (once the worker is ready; else at its next tick)."""
        proc = self.proc
        if self.ready and proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGUSR1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_SECONDS)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def run(args: argparse.Namespace) -> None:
    storage = await open_storage(args.db)
    deliverer = Deliverer(
        storage.hooks,
        public_url=args.public_url,
        retry_seconds=args.retry,
        timeout=args.timeout,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)  # Ctrl-C reaches the whole group
    loop.add_signal_handler(signal.SIGUSR1, deliverer.wake)
    deliverer.start()
    try:
        try:  # the server may signal it from now on
            sys.stdout.write(READY.decode() + "\n")
            sys.stdout.flush()
        except OSError:  # the server is gone already (killed while this started)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # a quiet exit
            return
        while not stopping.is_set():  # the server gone (kill -9): stop too
            if os.getppid() != args.parent:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 0.5)
    finally:
        await deliverer.stop()
        await storage.close()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m server.hooks.worker")
    p.add_argument("--db", required=True)
    p.add_argument("--retry", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--public-url", default=None)
    p.add_argument("--parent", type=int, required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
