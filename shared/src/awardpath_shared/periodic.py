"""A background loop that runs one unit of work every few seconds (for example the
assessment service's lease sweeper): a `BackgroundWorker` of the service's runtime. A
failing pass is logged and the next one runs."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class PeriodicTask:
    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval_seconds: float) -> None:
        self.name = name
        self._work = work
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s: pass failed", self.name)
            await asyncio.sleep(self._interval)
