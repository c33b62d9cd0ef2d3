"""The wiring of one service in one process: database, transport, relay and consumer.

Every process builds its services through `ServiceRuntime.build`: the HTTP app (lifespan),
the worker and the tests share this one place.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from awardpath_shared.auth import TokenVerifier
from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.messaging.inbox import EventConsumer, HandlerMap, ProcessedEventMixin
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.outbox import OutboxMessageMixin
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.settings import ServiceSettings


class BackgroundWorker(Protocol):
    """A loop a service runs beside its relay (the award service's webhook deliveries)."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


def create_transport(settings: ServiceSettings, *, client_id: str, consume: bool = True) -> Transport:
    """The transport `AWARDPATH_TRANSPORT` names. In-process delivery needs every consumer
    in the same process; Kafka lets API processes publish only (`consume=False`)."""
    if settings.transport == "kafka":
        return KafkaTransport(settings, client_id=client_id, consume=consume)
    return InProcessTransport()


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    transport: Transport
    relay: OutboxRelay
    consumer: EventConsumer
    token_verifier: TokenVerifier
    workers: list[BackgroundWorker] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        name: str,
        settings: ServiceSettings,
        database_url: str,
        transport: Transport,
        outbox_model: type[OutboxMessageMixin],
        processed_model: type[ProcessedEventMixin],
        handlers: Callable[[ServiceSettings], HandlerMap],
    ) -> "ServiceRuntime":
        engine = create_engine(database_url, name)
        sessions = create_session_factory(engine)
        relay = OutboxRelay(
            source=f"/awardpath/{name}",
            sessions=sessions,
            model=outbox_model,
            transport=transport,
            poll_interval=settings.relay_poll_interval_seconds,
            batch_size=settings.relay_batch_size,
            max_attempts=settings.relay_max_attempts,
        )
        consumer = EventConsumer(
            group=f"awardpath-{name}",
            handlers=handlers(settings),
            sessions=sessions,
            processed_model=processed_model,
            after_commit=relay.wake,
        )
        transport.subscribe(consumer)
        return cls(
            name=name,
            settings=settings,
            engine=engine,
            sessions=sessions,
            transport=transport,
            relay=relay,
            consumer=consumer,
            token_verifier=TokenVerifier(settings),
        )

    def start_background(self) -> None:
        """Start the outbox relay and the service's other background workers."""
        self.relay.start()
        for worker in self.workers:
            worker.start()

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop()
        await self.relay.stop()
        await self.engine.dispose()
