"""The Kafka cluster's layout and wire format: topic and group names (behind a namespace),
topic creation, and CloudEvents 1.0 in binary mode (attributes in `ce_*` headers, the event
as the JSON value, the subject as the key)."""

from dataclasses import dataclass

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as kafka_binding
from cloudevents.core.formats.json import JSONFormat

from awardpath_shared.events import EVENT_TYPES
from awardpath_shared.messaging.kafka_connection import connection_options
from awardpath_shared.settings import ServiceSettings

DEAD_LETTER_SUFFIX = ".dlq"
EVENT_TOPICS: tuple[str, ...] = tuple(sorted({event_class.topic for event_class in EVENT_TYPES.values()}))


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
    admin = AIOKafkaAdminClient(**connection_options(settings))
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
