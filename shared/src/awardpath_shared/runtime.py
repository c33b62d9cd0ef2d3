"""The wiring of one service in one process: database, unit of work, transport, relay, consumer.

Every process builds its services through `ServiceRuntime.build` (called by each service's
`app.build_runtime`): the HTTP app (lifespan), the worker, the CLI and the tests share this
one place. Entry points open units of work with `transaction()`.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from awardpath_shared.auth import TokenVerifier
from awardpath_shared.db import create_engine, create_session_factory, reading_sessions
from awardpath_shared.idempotency import IdempotencyKeyMixin, IdempotencyKeys
from awardpath_shared.messaging.dead_letters import DeadLetterMixin, DeadLetterStore
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inbox import EventConsumer, HandlerMap, ProcessedEventMixin
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.metrics import GROUP_PREFIX, timed_handlers
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.settings import ServiceSettings
from awardpath_shared.storage import EvidenceStorage
from awardpath_shared.unit_of_work import U, transaction

S = TypeVar("S", bound=ServiceSettings)


class BackgroundWorker(Protocol):
    """A loop a service runs beside its relay (the queue sweeper, webhook deliveries)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


# Reads, in the session given, how much of each kind of work waits: {kind: count}.
PendingWork = Callable[[AsyncSession], Awaitable[dict[str, int]]]


@dataclass(frozen=True)
class ServiceTables:
    """A service's own tables of the shared machinery (the outbox is its unit of work's)."""

    processed_events: type[ProcessedEventMixin]
    dead_letters: type[DeadLetterMixin]
    idempotency_keys: type[IdempotencyKeyMixin]


def create_transport(settings: ServiceSettings, *, client_id: str, consume: bool = True) -> Transport:
    """The transport `AWARDPATH_TRANSPORT` names. In-process delivery needs every consumer
    in the same process; Kafka lets API processes publish only (`consume=False`)."""
    if settings.transport == "kafka":
        return KafkaTransport(settings, client_id=client_id, consume=consume)
    return InProcessTransport(RetryPolicy.of(settings))


@dataclass
class ServiceRuntime(Generic[U, S]):
    name: str
    settings: S
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    transaction: Callable[[], AbstractAsyncContextManager[U]]
    """Opens a unit of work for an entry point: commits when its block ends and wakes the
    relay if it published."""
    reading: Callable[[], AbstractAsyncContextManager[U]]
    """Opens a unit of work that only reads (a GET): on SQLite it takes no write lock."""
    transport: Transport
    relay: OutboxRelay
    consumer: EventConsumer[U]
    token_verifier: TokenVerifier
    idempotency_keys: IdempotencyKeys
    storage: EvidenceStorage
    """Where evidence files are: written by the submission service, read by the others."""
    workers: list[BackgroundWorker] = field(default_factory=list)
    pending_work: list[PendingWork] = field(default_factory=list)
    """Readers of the service's own waiting work, reported beside the outbox backlog on
    `/metrics` (`awardpath_pending_work`): the award service's webhook deliveries."""
    runs_background: bool = True
    """False in a process whose relay and background workers run in another process."""
    wake_relay: Callable[[], None] | None = None
    """Called after a commit that staged events: by default it wakes this process's relay; a
    process whose relay runs elsewhere (`serve all`'s API process) points it there."""

    @classmethod
    def build(
        cls,
        *,
        name: str,
        settings: S,
        database_url: str,
        transport: Transport,
        unit_of_work: type[U],
        tables: ServiceTables,
        handlers: Callable[[S], HandlerMap[U]],
        storage: EvidenceStorage,
    ) -> "ServiceRuntime[U, S]":
        engine = create_engine(database_url, name, settings.database_pool_size, settings.database_pool_overflow)
        sessions = create_session_factory(engine)
        readers = reading_sessions(engine)
        relay = OutboxRelay(
            source=f"/awardpath/{name}",
            sessions=sessions,
            model=unit_of_work.outbox_model,
            transport=transport,
            poll_interval=settings.relay_poll_interval_seconds,
            batch_size=settings.relay_batch_size,
            max_attempts=settings.relay_max_attempts,
            claim_lease_seconds=settings.relay_claim_lease_seconds,
        )
        group = f"{GROUP_PREFIX}{name}"

        def open_transaction() -> AbstractAsyncContextManager[U]:
            return transaction(sessions, lambda session: unit_of_work(session, runtime.events_staged))

        def open_reading() -> AbstractAsyncContextManager[U]:
            return transaction(readers, lambda session: unit_of_work(session, runtime.events_staged))

        consumer = EventConsumer(
            group=group,
            handlers=timed_handlers(name, handlers(settings)),
            transaction=open_transaction,
            processed_model=tables.processed_events,
            dead_letters=DeadLetterStore(group, sessions, tables.dead_letters),
        )
        transport.subscribe(consumer)
        idempotency_keys = IdempotencyKeys(tables.idempotency_keys, timedelta(hours=settings.idempotency_key_ttl_hours))
        runtime = cls(
            name=name,
            settings=settings,
            engine=engine,
            sessions=sessions,
            transaction=open_transaction,
            reading=open_reading,
            transport=transport,
            relay=relay,
            consumer=consumer,
            token_verifier=TokenVerifier(settings),
            idempotency_keys=idempotency_keys,
            storage=storage,
        )
        runtime.workers.append(PeriodicTask(f"{name}-idempotency-key-purge", runtime._purge_keys, 3600))
        return runtime

    def events_staged(self) -> None:
        (self.wake_relay or self.relay.wake)()

    async def _purge_keys(self) -> None:
        async with self.transaction() as uow:
            await self.idempotency_keys.purge(uow.session)

    def start_background(self) -> None:
        """Start the outbox relay and the service's other background workers."""
        self.relay.start()
        for worker in self.workers:
            worker.start()

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop()
        await self.relay.stop()
        await self.storage.close()
        await self.engine.dispose()
