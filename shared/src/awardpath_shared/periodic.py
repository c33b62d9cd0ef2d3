"""A background loop that runs one unit of work every few seconds (the outbox relay, the
assessment service's queue sweeper, the award service's webhook deliveries): a
`BackgroundWorker` of the service's runtime. A failing pass is logged and the next one runs;
a pass that returns True (more is waiting) is followed at once; `wake()` cuts a wait short."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self.name = name
        self._work = work
        self._interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            more_waiting = False
            try:
                more_waiting = await self._work() is True
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s: pass failed", self.name)
            if not more_waiting:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for returns normally when a
                # wake() and a stop()'s cancellation land together, and the task runs on for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._wake.wait()
            self._wake.clear()
