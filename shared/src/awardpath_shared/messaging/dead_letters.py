"""Dead letters: messages a consumer group gave up on, kept in `<topic>.dlq` for an operator.

Reading never joins a group (it assigns the partitions and reads them to their end), so
listing changes nothing. Replaying hands a dead letter to the service's `EventConsumer`
again: the idempotent consumer makes replaying twice, or replaying an event that was since
processed, change nothing.
"""

from dataclasses import dataclass
from typing import Literal

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging import kafka
from awardpath_shared.messaging.inbox import EventConsumer
from awardpath_shared.settings import ServiceSettings

ReplayOutcome = Literal["handled", "already processed", "failed", "undecodable"]


@dataclass(frozen=True)
class DeadLetter:
    group: str
    topic: str
    partition: int
    offset: int
    attempts: int
    error: str
    failed_at: str
    cloudevent: BaseCloudEvent | None  # None when the message is not a readable CloudEvent

    @property
    def event_id(self) -> str:
        return self.cloudevent.get_id() if self.cloudevent else "-"

    @property
    def event_type(self) -> str:
        return self.cloudevent.get_type() if self.cloudevent else "-"


async def read_dead_letters(settings: ServiceSettings, group: str) -> list[DeadLetter]:
    """Every dead letter `group` left, oldest first per dead-letter partition."""
    names = kafka.KafkaNames(settings.kafka_namespace)
    records = await read_topics(settings, [names.dead_letter_topic(topic) for topic in kafka.EVENT_TOPICS])
    letters = [_dead_letter(record) for record in records]
    return [letter for letter in letters if letter.group == group]


async def read_topics(settings: ServiceSettings, topics: list[str]) -> list[ConsumerRecord]:
    """Every message of `topics` from offset 0 to their current end, without joining a group."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await reader.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(reader.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while [partition for partition in partitions if await reader.position(partition) < ends[partition]]:
            for batch in (await reader.getmany(timeout_ms=500)).values():
                records += batch
        return records
    finally:
        await reader.stop()


async def replay(consumer: EventConsumer, letter: DeadLetter) -> tuple[ReplayOutcome, str]:
    """Hand one dead letter to the consumer again; returns the outcome and the error if any."""
    if letter.cloudevent is None:
        return "undecodable", letter.error
    try:
        handled = await consumer.handle(letter.cloudevent)
    except Exception as error:  # the operator sees it; the dead letter stays for another try
        return "failed", repr(error)
    return ("handled" if handled else "already processed"), ""


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    try:
        cloudevent = kafka.from_record(record)
    except Exception:
        cloudevent = None
    return DeadLetter(
        group=headers.get(kafka.DLQ_GROUP, ""),
        topic=headers.get(kafka.DLQ_TOPIC, ""),
        partition=record.partition,
        offset=record.offset,
        attempts=int(headers.get(kafka.DLQ_ATTEMPTS, "0")),
        error=headers.get(kafka.DLQ_ERROR, ""),
        failed_at=headers.get(kafka.DLQ_FAILED_AT, ""),
        cloudevent=cloudevent,
    )
