"""What the load generator observes without loading the system it measures.

- `AssignmentWatcher` sees assignments appear by reading the assessment service's
  `assignments` table over a connection of its own (a plain indexed read; its PostgreSQL
  backend is left out of the CPU count), instead of asking the API under test.
- `CpuMeter` counts the CPU time (user + system) the system under test used: its processes
  and their children, PostgreSQL (the postmaster and every backend, those that ended
  included), the broker; read from /proc, so the load generator's own work is not in it.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from awardpath_shared.db import is_sqlite, service_database_url
from tests.support.proc import ProcessStat, process_table

# Slot k's assessor is `bench-assessor-k` (the only one qualified for slot k's micro-credential).
ASSESSOR_PREFIX = "bench-assessor-"
NO_PROCESS = ProcessStat("", "", 0, 0.0, 0.0)


class AssignmentWatcher:
    """Finds when each submission's assignment is first committed (visible to every reader,
    the assessor's `GET /v1/queue` included).

    Slot k has its own micro-credential and the only assessor qualified for it, so a new
    assignment for assessor k is the submission of slot k in flight."""

    def __init__(self, database_url: str) -> None:
        url = service_database_url(database_url, "assessment")
        self._table = "assignments" if is_sqlite(url) else "assessment.assignments"
        self._engine: AsyncEngine = create_async_engine(url, pool_size=1)
        self._seen: set[str] = set()
        self._in_flight: dict[int, int] = {}  # slot -> submission number
        self._newest_id = ""
        self.visible_at: dict[int, float] = {}
        self.backend_pid: int | None = None

    async def open(self) -> None:
        async with self._engine.connect() as connection:
            if self._engine.dialect.name == "postgresql":
                self.backend_pid = await connection.scalar(text("SELECT pg_backend_pid()"))
            self._seen = set((await connection.scalars(text(f"SELECT id FROM {self._table}"))).all())
            self._newest_id = max(self._seen, default="")

    async def close(self) -> None:
        await self._engine.dispose()

    def expect(self, slot: int, number: int) -> None:
        """Call when the submission is sent: its assignment may show before the 201 arrives."""
        self._in_flight[slot] = number

    async def watch(self, until: Callable[[], bool], deadline: float, poll_seconds: float) -> None:
        while not until() and time.perf_counter() < deadline:
            await asyncio.gather(self._poll(), asyncio.sleep(poll_seconds))

    async def _poll(self) -> None:
        # Ids are time-ordered (uuid7) but commit out of order: look back over the last second
        # of ids (a prefix of 12 hex digits is the millisecond) and skip what was seen.
        since = _id_a_second_before(self._newest_id)
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(f"SELECT id, assessor_id FROM {self._table} WHERE id >= :since"), {"since": since}
                )
            ).all()
        seen_at = time.perf_counter()
        for assignment_id, assessor_id in rows:
            if assignment_id in self._seen:
                continue
            self._seen.add(assignment_id)
            self._newest_id = max(self._newest_id, assignment_id)
            slot = int(assessor_id.removeprefix(ASSESSOR_PREFIX))
            number = self._in_flight.pop(slot, None)
            if number is not None:
                self.visible_at[number] = seen_at


def _id_a_second_before(newest_id: str) -> str:
    if not newest_id:
        return ""
    millis = int(newest_id.replace("-", "")[:12], 16) - 1000
    digits = f"{max(millis, 0):012x}"
    return f"{digits[:8]}-{digits[8:]}"


@dataclass(frozen=True)
class CpuReading:
    services: float
    database: float
    broker: float

    @property
    def total(self) -> float:
        return self.services + self.database + self.broker

    def __sub__(self, other: "CpuReading") -> "CpuReading":
        return CpuReading(self.services - other.services, self.database - other.database, self.broker - other.broker)


class CpuMeter:
    """CPU seconds used so far by process trees: a root's own time, the time of its children
    that ended (the kernel adds it to the parent's `cutime`/`cstime`) and of those running."""

    def __init__(
        self,
        services: Callable[[], list[int]],
        broker: int | None = None,
        left_out: Callable[[], int | None] = lambda: None,
    ) -> None:
        self._services = services
        self._broker = broker
        self._left_out = left_out

    def read(self) -> CpuReading:
        table = process_table()
        left_out = self._left_out()
        database = sum(_tree_seconds(table, pid) for pid in _postmasters(table))
        if left_out is not None and left_out in table:
            database -= table[left_out].own_seconds
        services = sum(_tree_seconds(table, pid) for pid in self._services())
        broker = _tree_seconds(table, self._broker) if self._broker else 0.0
        return CpuReading(services, database, broker)


def _tree_seconds(table: dict[int, ProcessStat], root: int) -> float:
    if root not in table:
        return 0.0
    children = [pid for pid, process in table.items() if process.parent == root]
    return table[root].own_seconds + table[root].reaped_seconds + sum(_tree_seconds(table, child) for child in children)


def _postmasters(table: dict[int, ProcessStat]) -> list[int]:
    return [
        pid
        for pid, process in table.items()
        if process.name == "postgres" and table.get(process.parent, NO_PROCESS).name != "postgres"
    ]
