"""Kafka transport: topics per event family, CloudEvents in binary mode, one consumer group
per service.

Publishing: the key is the event's subject (the submission id), so one submission's events
share a partition and stay in order; `publish` returns once every in-sync replica has the
message (`acks=all`). The producer is not idempotent and nothing is transactional: the
outbox (publish again until acknowledged) and the idempotent consumers (drop what was
already processed) give the same effect and work on any Kafka-compatible broker.

Consuming: each subscribed consumer gets a `GroupLoop` (`kafka_consumer`) in its own
consumer group. Dead letters go to `<topic>.dlq` (`kafka_dead_letters`).
"""

import asyncio
import logging
from functools import cached_property
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.kafka_connection import connection_options
from awardpath_shared.messaging.kafka_consumer import GroupLoop, within
from awardpath_shared.messaging.kafka_dead_letters import DeadLetterTopics
from awardpath_shared.messaging.kafka_topics import KafkaNames, ensure_topics, to_kafka_message
from awardpath_shared.messaging.transport import Consumer
from awardpath_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


class KafkaTransport:
    """Publishes through one producer; with `consume`, runs a group loop per subscribed consumer.

    An API process publishes only (`consume=False`): its service's consumers run in workers.
    """

    def __init__(self, settings: ServiceSettings, *, client_id: str, consume: bool = True) -> None:
        self._settings = settings
        self._names = KafkaNames(settings.kafka_namespace)
        self._client_id = client_id
        self._consume = consume
        self._consumers: list[Consumer] = []
        self._loops: list[GroupLoop] = []
        self._producer: AIOKafkaProducer | None = None
        self._started = False

    @cached_property
    def _connection(self) -> dict[str, Any]:
        """How this transport's own clients reach the brokers, built once (TLS context, token
        provider): the lag probe, one per scrape, reuses it."""
        return connection_options(self._settings)

    def subscribe(self, consumer: Consumer) -> None:
        if self._consume:
            self._consumers.append(consumer)

    async def start(self) -> None:
        await ensure_topics(self._settings)
        self._producer = AIOKafkaProducer(
            **self._connection,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=False,
        )
        await self._producer.start()
        for consumer in self._consumers:
            sink = DeadLetterTopics(self._producer, self._names, consumer.group)
            loop = GroupLoop(self._settings, consumer, RetryPolicy.of(self._settings), sink, client_id=self._client_id)
            await loop.start()
            self._loops.append(loop)
        self._started = True

    async def join(self) -> None:
        """Wait until a group loop ends on its own (it failed: the process should exit)."""
        await asyncio.wait([loop.task for loop in self._loops if loop.task], return_when=asyncio.FIRST_COMPLETED)

    async def stop(self) -> None:
        """Finish the in-flight messages (within the grace period), leave the groups, flush
        the producer; every step is bounded."""
        self._started = False
        await asyncio.gather(*(loop.stop() for loop in self._loops))
        self._loops = []
        if self._producer is not None:
            producer, self._producer = self._producer, None
            # Unsent messages are safe to drop: the outbox publishes again, a dead letter's
            # message was left uncommitted. aiokafka would wait up to its request timeout.
            timeout = self._settings.kafka_operation_timeout_seconds
            if not await within(producer.stop(), timeout):
                logger.warning("the Kafka producer did not flush within %ss", timeout)

    async def reachable(self) -> bool:
        """Started (topics made, every group joined), and the brokers answer a metadata
        request within the operation timeout."""
        if self._producer is None or not self._started:
            return False
        try:
            async with asyncio.timeout(self._settings.kafka_operation_timeout_seconds):
                await self._producer.client.fetch_all_metadata()
        except Exception as error:  # any failure to answer: not reachable
            logger.warning("the Kafka brokers do not answer: %r", error)
            return False
        return True

    async def consumer_lag(self, group: str, topics: frozenset[str]) -> dict[tuple[str, int], int]:
        """Per partition of `topics`, how many messages `group` has not committed yet (its
        backlog), asked of the brokers: any process of the service can report it. The probe
        names the group to read its offsets and never joins it."""
        probe = AIOKafkaConsumer(
            **self._connection,
            client_id=self._client_id,
            group_id=self._names.group(group),
            enable_auto_commit=False,
        )
        try:
            await probe.start()
            await probe.topics()  # the partitions of every topic, as metadata
            partitions = [
                TopicPartition(name, partition)
                for name in sorted(self._names.topic(topic) for topic in topics)
                for partition in sorted(probe.partitions_for_topic(name) or ())
            ]
            ends = await probe.end_offsets(partitions)
            # A partition the group never committed on is read from its first kept record.
            beginnings = await probe.beginning_offsets(partitions)
            committed = {partition: await probe.committed(partition) for partition in partitions}
        finally:
            await probe.stop()
        # Never below 0: a broker that reports a partition's end by its last record batch
        # (Tansu) can place it before a group that committed the batch's last record.
        return {
            (each.topic, each.partition): max(0, ends[each] - max(committed[each] or 0, beginnings[each]))
            for each in partitions
        }

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None:
        if self._producer is None:
            raise RuntimeError("the Kafka transport is not started")
        message = to_kafka_message(key, cloudevent)
        await self._producer.send_and_wait(
            self._names.topic(topic),
            value=message.value,
            key=key.encode(),
            headers=list(message.headers.items()),
        )
