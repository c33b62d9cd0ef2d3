"""One service's consumer group member on Kafka: fetch, then per partition hand the fetched
messages to the consumer in one transaction (`delivery.deliver_together`) and commit once;
when that fails, each message on its own (`delivery.deliver`: retries, then the dead-letter
topic), committing its offset, one message at a time. Partitions run side by side.

A message's offset is committed only after its handler's transaction committed (or it was
dead-lettered). Events of types the group does not handle are skipped (and committed); a
message that is not a CloudEvent is dead-lettered at once (no retry can help).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from functools import partial

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError, KafkaError

from awardpath_shared.messaging.delivery import Abandoned, RetryPolicy, deliver, deliver_together
from awardpath_shared.messaging.kafka_connection import connection_options
from awardpath_shared.messaging.kafka_dead_letters import DeadLetterTopics
from awardpath_shared.messaging.kafka_topics import KafkaNames, from_record
from awardpath_shared.messaging.transport import Consumer
from awardpath_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


async def within(operation: Awaitable[object], seconds: float) -> bool:
    """Await `operation`, cancelling it after `seconds`; returns whether it finished."""
    try:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation.
        async with asyncio.timeout(seconds):
            await operation
    except TimeoutError:
        return False
    return True


class GroupLoop(ConsumerRebalanceListener):
    def __init__(
        self,
        settings: ServiceSettings,
        consumer: Consumer,
        policy: RetryPolicy,
        dead_letters: DeadLetterTopics,
        *,
        client_id: str,
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._policy = policy
        self._dead_letters = dead_letters
        self._names = KafkaNames(settings.kafka_namespace)
        self._group = self._names.group(consumer.group)
        self._kafka = AIOKafkaConsumer(
            **connection_options(settings),
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
            await asyncio.wait([self.task])  # bounded: `_run` bounds every wait on its way out
            self.task = None

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # The messages being handled finish and commit (within the grace period); what was
        # fetched beyond them belongs to the next owner, who starts at the committed offsets.
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
            # Leaves the group (aiokafka skips it on generation 0, as Tansu starts). Closing
            # waits for the coordinator (a join in progress, the leave request): bounded, as
            # the session timeout frees our partitions anyway.
            timeout = self._settings.kafka_operation_timeout_seconds
            if not await within(self._kafka.stop(), timeout):
                logger.warning("%s: the consumer did not close within %ss", self._group, timeout)

    async def _finish_partitions(self) -> None:
        """Wait for the partitions' in-flight messages; past the grace period, cancel their
        handlers (a cancelled handler's transaction rolls back) and leave them uncommitted."""
        if not self._partitions:
            return
        grace = self._settings.kafka_stop_grace_seconds
        _, late = await asyncio.wait(list(self._partitions.values()), timeout=grace)
        if late:
            logger.warning(
                "%s: cancelling %d handler(s) still running after %ss; their messages stay uncommitted",
                self._group,
                len(late),
                grace,
            )
            for task in late:
                task.cancel()
            await asyncio.wait(late, timeout=self._settings.kafka_operation_timeout_seconds)

    async def _drain(self, partition: TopicPartition, records: list[ConsumerRecord]) -> None:
        try:
            if len(records) > 1 and await self._handled_together(records):
                await self._commit(partition, records[-1])
                return
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
        except Abandoned:
            return False
        except Exception:  # e.g. the dead-letter topic is unreachable: try the message again
            logger.exception("%s: %s@%d will be fetched again", self._group, record.topic, record.offset)
            await self._stop_within(self._policy.first_backoff_seconds)
            self._fetch_again(partition, record.offset)
            return False
        return await self._commit(partition, record)

    async def _handled_together(self, records: list[ConsumerRecord]) -> bool:
        """Hand a partition's fetched records (one key's events in order, or independent
        keys') to the consumer in one transaction; False when they must go one by one (one
        is not a CloudEvent, or handling them together failed: nothing of it committed)."""
        try:
            cloudevents = [from_record(record) for record in records]
        except Exception:  # not a CloudEvent: the one-by-one path dead-letters it
            return False
        return await deliver_together(self._consumer, cloudevents)

    async def _commit(self, partition: TopicPartition, record: ConsumerRecord) -> bool:
        """Commit the offset after `record`; False when the partition must stop here."""
        try:
            # Bounded: while the coordinator is unreachable aiokafka retries a commit forever.
            async with asyncio.timeout(self._settings.kafka_operation_timeout_seconds):
                await self._kafka.commit({partition: record.offset + 1})
        except (KafkaError, TimeoutError) as error:
            # The group is rebalancing or the coordinator is away: whoever owns the partition
            # next (we, if nothing moved) gets it again and the inbox drops it.
            logger.warning("%s: commit of %s@%d failed: %r", self._group, record.topic, record.offset, error)
            self._fetch_again(partition, record.offset)
            return False
        return True

    def _fetch_again(self, partition: TopicPartition, offset: int) -> None:
        # No longer ours (IllegalStateError): the next owner starts at the committed offset.
        with contextlib.suppress(IllegalStateError):
            self._kafka.seek(partition, offset)

    async def _deliver(self, record: ConsumerRecord) -> None:
        try:
            cloudevent = from_record(record)
        except Exception as error:  # not a CloudEvent: no retry can help
            logger.error("%s: %s@%d is not a CloudEvent: %r", self._group, record.topic, record.offset, error)
            await self._dead_letters.send(record, error, 1)
            return
        if not self._consumer.wants(cloudevent.get_type()):
            return
        await deliver(
            self._consumer,
            cloudevent,
            self._policy,
            wait=self._pause,
            dead_letter=partial(self._dead_letters.send, record),
        )

    async def _pause(self, seconds: float) -> None:
        """Wait out a backoff; raises `Abandoned` when shutdown or a rebalance starts meanwhile."""
        if await self._stop_within(seconds):
            raise Abandoned

    async def _stop_within(self, seconds: float) -> bool:
        """Wait `seconds` unless interrupted first; returns whether it was interrupted."""
        return await within(self._interrupt.wait(), seconds)
