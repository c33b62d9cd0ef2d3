"""The unit of work: one transaction of one service, owned by the entry point that opened it
(an HTTP request, a consumed event, a periodic task, a CLI command).

The entry point opens it with `transaction()` (through its `ServiceRuntime`), hands it to
the services it calls, and the transaction commits when the entry point's block ends, or
rolls back on any error. Services use `uow.session` through their repositories, stage
events with `uow.publish` and flush; they never commit. Once the commit succeeded, the unit
of work runs its after-commit hooks: publishing wakes the outbox relay that way.

Each service subclasses `UnitOfWork` to name its outbox table and its repositories.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import ClassVar, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from awardpath_shared.events import Event
from awardpath_shared.messaging.outbox import OutboxMessageMixin


def _nothing() -> None:
    return None


class UnitOfWork:
    outbox_model: ClassVar[type[OutboxMessageMixin]]

    def __init__(self, session: AsyncSession, on_published: Callable[[], None] = _nothing) -> None:
        self.session = session
        self._on_published = on_published
        self._after_commit: list[Callable[[], None]] = []

    def publish(self, event: Event) -> None:
        """Stage `event` in the outbox: it leaves the service only if this transaction commits."""
        self.session.add(self.outbox_model.staging(event))
        if self._on_published not in self._after_commit:
            self._after_commit.append(self._on_published)

    async def flush(self) -> None:
        await self.session.flush()

    def committed(self) -> None:
        """Run the after-commit hooks; the entry point calls this once its commit succeeded."""
        for hook in self._after_commit:
            hook()


U = TypeVar("U", bound=UnitOfWork)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], open_unit: Callable[[AsyncSession], U]
) -> AsyncIterator[U]:
    """A unit of work in a new session: commits at the end of the block, rolls back on error."""
    async with sessions() as session:
        unit = open_unit(session)
        async with session.begin():
            yield unit
    unit.committed()
