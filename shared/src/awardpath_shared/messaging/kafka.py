"""Kafka transport: topics per event family, CloudEvents in binary mode, one consumer group
per service.

Publishing: the key is the event's subject (the submission id), so one submission's events
share a partition and stay in order; `publish` returns once every in-sync replica has the
message (`acks=all`). The producer is not idempotent and nothing is transactional: the
outbox (publish again until acknowledged) and the idempotent consumers (drop what was
already processed) give the same effect and work on any Kafka-compatible broker.

Consuming: each subscribed `EventConsumer` gets a loop in its own consumer group. A
message's offset is committed only after its handler's transaction committed. A handler
that keeps failing is retried with backoff, then the message goes to `<topic>.dlq` with the
error and its original headers, and the partition moves on. Events of types the group does
not handle are skipped (and committed). A database outage is not the message's fault: it is
retried without limit and never dead-lettered.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import IllegalStateError, KafkaError, TopicAlreadyExistsError
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as kafka_binding
from cloudevents.core.formats.json import JSONFormat
from sqlalchemy.exc import InterfaceError, OperationalError

from awardpath_shared.events import EVENT_TYPES
from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.inbox import EventConsumer
from awardpath_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

DEAD_LETTER_SUFFIX = ".dlq"
# Headers a dead letter carries beside the original message's headers.
DLQ_ERROR = "dlq_error"
DLQ_GROUP = "dlq_group"
DLQ_TOPIC = "dlq_topic"
DLQ_PARTITION = "dlq_partition"
DLQ_OFFSET = "dlq_offset"
DLQ_ATTEMPTS = "dlq_attempts"
DLQ_FAILED_AT = "dlq_failed_at"

EVENT_TOPICS: tuple[str, ...] = tuple(sorted({event_class.topic for event_class in EVENT_TYPES.values()}))
# Errors of the infrastructure, not of the message: retried until they pass.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class KafkaNames:
    """Topic and group names on the cluster: the catalogue's names behind a namespace."""

    namespace: str = ""

    def topic(self, topic: str) -> str:
        return f"{self.namespace}{topic}"

    def dead_letter_topic(self, topic: str) -> str:
        return f"{self.topic(topic)}{DEAD_LETTER_SUFFIX}"

    def group(self, group: str) -> str:
        return f"{self.namespace}{group}"

    def all_topics(self) -> list[str]:
        return [name for topic in EVENT_TOPICS for name in (self.topic(topic), self.dead_letter_topic(topic))]


def to_kafka_message(key: str, cloudevent: BaseCloudEvent) -> kafka_binding.KafkaMessage:
    return kafka_binding.to_binary(cloudevent, JSONFormat(), key_mapper=lambda _event: key)


def from_record(record: ConsumerRecord) -> BaseCloudEvent:
    message = kafka_binding.KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value or b"")
    return kafka_binding.from_binary(message, JSONFormat())


async def ensure_topics(settings: ServiceSettings) -> None:
    """Create every event topic and its dead-letter topic unless it exists (idempotent)."""
    names = KafkaNames(settings.kafka_namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        missing = set(names.all_topics()) - set(await admin.list_topics())
        if not missing:
            return
        response = await admin.create_topics(
            [
                NewTopic(topic, settings.kafka_topic_partitions, settings.kafka_replication_factor)
                for topic in sorted(missing)
            ]
        )
        for topic, error_code, message in response.topic_errors:
            # Another process may have created it between our listing and our request.
            if error_code not in (0, TopicAlreadyExistsError.errno):
                raise RuntimeError(f"creating Kafka topic {topic} failed: {error_code} {message}")
    finally:
        await admin.close()


class KafkaTransport:
    """Publishes through one producer; with `consume`, runs a group loop per subscribed consumer.

    An API process publishes only (`consume=False`): its service's consumers run in workers.
    """

    def __init__(self, settings: ServiceSettings, *, client_id: str, consume: bool = True) -> None:
        self._settings = settings
        self._names = KafkaNames(settings.kafka_namespace)
        self._client_id = client_id
        self._consume = consume
        self._consumers: list[EventConsumer] = []
        self._loops: list[GroupLoop] = []
        self._producer: AIOKafkaProducer | None = None

    def subscribe(self, consumer: EventConsumer) -> None:
        if self._consume:
            self._consumers.append(consumer)

    async def start(self) -> None:
        await ensure_topics(self._settings)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=False,
        )
        await self._producer.start()
        for consumer in self._consumers:
            loop = GroupLoop(self._settings, consumer, self._producer, client_id=self._client_id)
            await loop.start()
            self._loops.append(loop)

    async def join(self) -> None:
        """Wait until a group loop ends on its own (it failed: the process should exit)."""
        await asyncio.wait([loop.task for loop in self._loops], return_when=asyncio.FIRST_COMPLETED)

    async def stop(self) -> None:
        """Finish the in-flight messages, leave the groups, flush the producer."""
        await asyncio.gather(*(loop.stop() for loop in self._loops))
        self._loops = []
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

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


class _Abandoned(Exception):
    """Shutdown or a rebalance interrupted a message's retries: leave it uncommitted for
    whoever owns the partition next."""


class GroupLoop(ConsumerRebalanceListener):
    """One service's consumer group member: fetch, then per partition handle and commit one
    message at a time (partitions run side by side)."""

    def __init__(
        self,
        settings: ServiceSettings,
        consumer: EventConsumer,
        producer: AIOKafkaProducer,
        *,
        client_id: str,
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._names = KafkaNames(settings.kafka_namespace)
        self._group = self._names.group(consumer.group)
        self._kafka = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=client_id,
            group_id=self._group,
            enable_auto_commit=False,
            # A new group starts at the beginning: nothing published before it joined is missed.
            auto_offset_reset="earliest",
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
            rebalance_timeout_ms=settings.kafka_rebalance_timeout_ms,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        )
        # One task per partition with fetched messages (the partition is paused meanwhile):
        # a message waiting for its retries holds back only its own partition.
        self._partitions: dict[TopicPartition, asyncio.Task[None]] = {}
        # Set on shutdown and on rebalance: partition tasks stop after their in-flight message.
        self._interrupt = asyncio.Event()
        self._stopping = False
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._kafka.subscribe([self._names.topic(topic) for topic in sorted(self._consumer.topics)], listener=self)
        await self._kafka.start()
        self.task = asyncio.create_task(self._run(), name=f"kafka-group-{self._group}")

    async def stop(self) -> None:
        self._stopping = True
        self._interrupt.set()
        if self.task is not None:
            await asyncio.wait([self.task])
            self.task = None

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # The messages being handled finish and commit; what was fetched beyond them
        # belongs to the next owner, who starts at the committed offsets.
        self._interrupt.set()
        await self._finish_partitions()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if not self._stopping:
            self._interrupt.clear()
        logger.info("%s assigned %s", self._group, sorted((tp.topic, tp.partition) for tp in assigned))

    async def _run(self) -> None:
        try:
            while not self._stopping:
                batch = await self._kafka.getmany(timeout_ms=200)
                for partition, records in batch.items():
                    if self._interrupt.is_set():
                        break
                    self._kafka.pause(partition)
                    self._partitions[partition] = asyncio.create_task(self._drain(partition, records))
            await self._finish_partitions()
        except Exception:
            logger.exception("consumer group loop %s failed", self._group)
            raise
        finally:
            await self._kafka.stop()  # leaves the group (aiokafka skips it on generation 0, as Tansu starts)

    async def _finish_partitions(self) -> None:
        if self._partitions:
            await asyncio.wait(list(self._partitions.values()))

    async def _drain(self, partition: TopicPartition, records: list[ConsumerRecord]) -> None:
        try:
            for record in records:
                if self._interrupt.is_set() or not await self._process(partition, record):
                    return
        finally:
            del self._partitions[partition]
            if not self._interrupt.is_set():
                self._kafka.resume(partition)

    async def _process(self, partition: TopicPartition, record: ConsumerRecord) -> bool:
        """Handle and commit one message; False when the partition must stop here."""
        try:
            await self._deliver(record)
        except _Abandoned:
            return False
        except Exception:  # e.g. the dead-letter topic is unreachable: try the message again
            logger.exception("%s: %s@%d will be fetched again", self._group, record.topic, record.offset)
            await self._stop_within(self._settings.consumer_retry_backoff_seconds)
            # No longer ours (IllegalStateError): the next owner starts at the committed offset.
            with contextlib.suppress(IllegalStateError):
                self._kafka.seek(partition, record.offset)
            return False
        try:
            await self._kafka.commit({partition: record.offset + 1})
        except KafkaError as error:
            # The group is rebalancing: the next owner redelivers, the inbox drops it.
            logger.warning("%s: commit of %s@%d failed: %r", self._group, record.topic, record.offset, error)
            return False
        return True

    async def _deliver(self, record: ConsumerRecord) -> None:
        try:
            cloudevent = from_record(record)
        except Exception as error:  # not a CloudEvent: no retry can help
            await self._dead_letter(record, error, attempts=1)
            return
        if not self._consumer.wants(cloudevent.get_type()):
            return
        failures = outages = 0
        while True:
            try:
                handled = await self._consumer.handle(cloudevent)
                logger.info(
                    "%s: %s %s %s from %s[%d]",
                    self._group,
                    "handled" if handled else "dropped duplicate",
                    cloudevent.get_type(),
                    cloudevent.get_id(),
                    record.topic,
                    record.partition,
                )
                return
            except TRANSIENT_ERRORS as error:
                outages += 1
                logger.warning(
                    "%s: %s %s waits for the database: %r",
                    self._group,
                    cloudevent.get_type(),
                    cloudevent.get_id(),
                    error,
                )
                await self._pause(outages)
            except Exception as error:
                failures += 1
                logger.warning(
                    "%s: handling %s %s failed (attempt %d): %r",
                    self._group,
                    cloudevent.get_type(),
                    cloudevent.get_id(),
                    failures,
                    error,
                )
                if failures >= self._settings.consumer_max_attempts:
                    await self._dead_letter(record, error, attempts=failures)
                    return
                await self._pause(failures)

    async def _pause(self, attempt: int) -> None:
        """Doubling backoff; raises `_Abandoned` when shutdown starts meanwhile."""
        seconds = self._settings.consumer_retry_backoff_seconds * 2 ** (attempt - 1)
        if await self._stop_within(min(seconds, MAX_BACKOFF_SECONDS)):
            raise _Abandoned

    async def _stop_within(self, seconds: float) -> bool:
        """Wait `seconds` unless interrupted first; returns whether it was interrupted."""
        try:
            await asyncio.wait_for(self._interrupt.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def _dead_letter(self, record: ConsumerRecord, error: Exception, *, attempts: int) -> None:
        original_topic = record.topic.removeprefix(self._names.namespace)
        logger.error(
            "%s: %s@%d goes to the dead-letter topic after %d attempt(s): %r",
            self._group,
            record.topic,
            record.offset,
            attempts,
            error,
        )
        headers = [
            *record.headers,
            (DLQ_ERROR, repr(error)[:4000].encode()),
            (DLQ_GROUP, self._consumer.group.encode()),
            (DLQ_TOPIC, original_topic.encode()),
            (DLQ_PARTITION, str(record.partition).encode()),
            (DLQ_OFFSET, str(record.offset).encode()),
            (DLQ_ATTEMPTS, str(attempts).encode()),
            (DLQ_FAILED_AT, utcnow().isoformat().encode()),
        ]
        await self._producer.send_and_wait(
            self._names.dead_letter_topic(original_topic), value=record.value, key=record.key, headers=headers
        )
