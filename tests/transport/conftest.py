"""Transport tier: the delivery system (outbox relay, transport, idempotent consumer) on a
migrated PostgreSQL database, over every transport; Kafka tests use the real broker."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.events import Event
from awardpath_shared.ids import new_id
from awardpath_shared.messaging.inbox import EventConsumer, HandlerMap
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.outbox import record_event
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_shared.settings import ServiceSettings
from awardpath_submission.models import OutboxMessage, ProcessedEvent
from tests.support.broker import FAST_GROUP_SETTINGS, new_namespace
from tests.support.databases import create_database, drop_database, migrate_all

TRANSPORTS = ("inprocess", "kafka")


@pytest.fixture(scope="session")
async def postgres_url(tmp_path_factory):
    url = await create_database("postgres", tmp_path_factory.mktemp("transport"))
    await migrate_all(url)
    yield url
    await drop_database(url)


def kafka_settings(bootstrap_servers: str, **overrides) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_namespace=new_namespace(),
        **{**FAST_GROUP_SETTINGS, **overrides},
    )


class Delivery:
    """Events staged in the submission service's outbox, relayed over a transport to one
    consumer group whose handlers the test supplies (the path every event takes)."""

    def __init__(self, kind: str, database_url: str, settings: ServiceSettings) -> None:
        self.kind = kind
        self.settings = settings
        self.engine = create_engine(database_url, "submission")
        self.sessions = create_session_factory(self.engine)
        self.transport = (
            InProcessTransport() if kind == "inprocess" else KafkaTransport(settings, client_id="contract-test")
        )
        self.relay = OutboxRelay(
            source="/test",
            sessions=self.sessions,
            model=OutboxMessage,
            transport=self.transport,
            poll_interval=0.1,
        )
        self.consumer: EventConsumer | None = None

    async def open(self, handlers: HandlerMap) -> None:
        self.consumer = EventConsumer(
            group=f"contract-{new_id()}",
            handlers=handlers,
            sessions=self.sessions,
            processed_model=ProcessedEvent,
            after_commit=self.relay.wake,
        )
        self.transport.subscribe(self.consumer)
        await self.transport.start()
        self.relay.start()

    async def publish(self, *events: Event) -> None:
        async with self.sessions() as session, session.begin():
            for event in events:
                record_event(session, OutboxMessage, event)
        self.relay.wake()

    async def close(self) -> None:
        await self.relay.stop()
        await self.transport.stop()
        await self.engine.dispose()


@pytest.fixture(params=TRANSPORTS)
async def delivery(request, postgres_url):
    settings = (
        kafka_settings(request.getfixturevalue("kafka_bootstrap_servers"))
        if request.param == "kafka"
        else ServiceSettings()
    )
    opened = Delivery(request.param, postgres_url, settings)
    yield opened
    await opened.close()


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        await asyncio.sleep(0.05)
