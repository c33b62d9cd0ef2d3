"""Dead letters on Kafka: `<topic>.dlq` holds what a consumer group gave up on, with the
original message and headers plus the error (`DLQ_*` headers).

Reading never joins a group (it assigns the partitions and reads them to their end), so
listing changes nothing.
"""

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.dead_letters import DeadLetter
from awardpath_shared.messaging.kafka_connection import connection_options
from awardpath_shared.messaging.kafka_topics import EVENT_TOPICS, KafkaNames, from_record
from awardpath_shared.settings import ServiceSettings

# Headers a dead letter carries beside the original message's headers.
DLQ_ERROR = "dlq_error"
DLQ_GROUP = "dlq_group"
DLQ_TOPIC = "dlq_topic"
DLQ_PARTITION = "dlq_partition"
DLQ_OFFSET = "dlq_offset"
DLQ_ATTEMPTS = "dlq_attempts"
DLQ_FAILED_AT = "dlq_failed_at"
DLQ_HEADERS = (DLQ_ERROR, DLQ_GROUP, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_ATTEMPTS, DLQ_FAILED_AT)


class DeadLetterTopics:
    """Where one consumer group's loop sends the messages it gives up on."""

    def __init__(self, producer: AIOKafkaProducer, names: KafkaNames, group: str) -> None:
        self._producer = producer
        self._names = names
        self._group = group

    async def send(self, record: ConsumerRecord, error: Exception, attempts: int) -> None:
        original_topic = record.topic.removeprefix(self._names.namespace)
        headers = [
            *record.headers,
            (DLQ_ERROR, repr(error)[:4000].encode()),
            (DLQ_GROUP, self._group.encode()),
            (DLQ_TOPIC, original_topic.encode()),
            (DLQ_PARTITION, str(record.partition).encode()),
            (DLQ_OFFSET, str(record.offset).encode()),
            (DLQ_ATTEMPTS, str(attempts).encode()),
            (DLQ_FAILED_AT, utcnow().isoformat().encode()),
        ]
        await self._producer.send_and_wait(
            self._names.dead_letter_topic(original_topic), value=record.value, key=record.key, headers=headers
        )


async def read_dead_letters(settings: ServiceSettings, group: str) -> list[DeadLetter]:
    """Every dead letter `group` left, oldest first per dead-letter partition."""
    names = KafkaNames(settings.kafka_namespace)
    records = await read_topics(settings, [names.dead_letter_topic(topic) for topic in EVENT_TOPICS])
    letters = [_dead_letter(record) for record in records]
    return [letter for letter in letters if letter.group == group]


async def read_topics(settings: ServiceSettings, topics: list[str]) -> list[ConsumerRecord]:
    """Every message of `topics` from offset 0 to their current end, without joining a group."""
    reader = AIOKafkaConsumer(**connection_options(settings), group_id=None, enable_auto_commit=False)
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
        idle_since = asyncio.get_running_loop().time()
        while [partition for partition in partitions if await reader.position(partition) < ends[partition]]:
            batches = (await reader.getmany(timeout_ms=500)).values()
            for batch in batches:
                records += batch
            if any(batches):
                idle_since = asyncio.get_running_loop().time()
            elif asyncio.get_running_loop().time() - idle_since > settings.kafka_operation_timeout_seconds * 2:
                raise TimeoutError(f"the topics {topics} stopped answering before their end")
        return records
    finally:
        await reader.stop()


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    try:
        cloudevent = from_record(record)
    except Exception:  # a message that never was a CloudEvent is still listed
        cloudevent = None
    return DeadLetter(
        group=headers.get(DLQ_GROUP, ""),
        topic=headers.get(DLQ_TOPIC, ""),
        attempts=int(headers.get(DLQ_ATTEMPTS, "0")),
        error=headers.get(DLQ_ERROR, ""),
        failed_at=headers.get(DLQ_FAILED_AT, ""),
        cloudevent=cloudevent,
    )
