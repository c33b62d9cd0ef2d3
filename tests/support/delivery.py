"""The delivery path every event takes, assembled for transport tests: events staged in the
submission service's outbox, relayed over a transport to one consumer group whose handlers
the test supplies."""

import asyncio
from contextlib import AbstractAsyncContextManager

from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.events import Event
from awardpath_shared.ids import new_id
from awardpath_shared.messaging.dead_letters import DeadLetter, DeadLetterStore
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inbox import EventConsumer, HandlerMap
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.kafka_dead_letters import read_dead_letters
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_shared.settings import ServiceSettings
from awardpath_shared.unit_of_work import transaction
from awardpath_submission.models import DeadLetter as DeadLetterRow
from awardpath_submission.models import OutboxMessage, ProcessedEvent
from awardpath_submission.uow import SubmissionUnitOfWork
from tests.support.broker import FAST_GROUP_SETTINGS, new_namespace


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
            InProcessTransport(RetryPolicy.of(settings))
            if kind == "inprocess"
            else KafkaTransport(settings, client_id="contract-test")
        )
        self.relay = OutboxRelay(
            source="/test",
            sessions=self.sessions,
            model=OutboxMessage,
            transport=self.transport,
            poll_interval=0.1,
        )
        self.consumer: EventConsumer | None = None

    def transaction(self) -> AbstractAsyncContextManager[SubmissionUnitOfWork]:
        return transaction(self.sessions, lambda session: SubmissionUnitOfWork(session, self.relay.wake))

    def consumer_of(self, handlers: HandlerMap, group: str) -> EventConsumer:
        return EventConsumer(
            group=group,
            handlers=handlers,
            transaction=self.transaction,
            processed_model=ProcessedEvent,
            dead_letters=DeadLetterStore(group, self.sessions, DeadLetterRow),
        )

    async def open(self, handlers: HandlerMap) -> None:
        self.consumer = self.consumer_of(handlers, f"contract-{new_id()}")
        self.transport.subscribe(self.consumer)
        # Bounded: a Kafka consumer's start waits for its group's assignment without limit.
        await asyncio.wait_for(self.transport.start(), 60)
        self.relay.start()

    async def publish(self, *events: Event) -> None:
        async with self.transaction() as uow:
            for event in events:
                uow.publish(event)

    async def dead_letters(self) -> list[DeadLetter]:
        """What the consumer group gave up on, where this transport keeps it."""
        assert self.consumer is not None
        if self.kind == "kafka":
            return await read_dead_letters(self.settings, self.consumer.group)
        return await self.consumer.dead_letters.read()

    async def close(self) -> None:
        await self.relay.stop()
        await self.transport.stop()
        await self.engine.dispose()
