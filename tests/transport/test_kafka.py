"""The Kafka transport on the real broker: the wire format, topic creation, dead letters,
events no handler wants, and a graceful stop."""

import asyncio
import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from awardpath_shared.events import EVENT_TYPES, MicroCredentialPublished, SubmissionResubmitted, SubmissionSubmitted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.dead_letters import ReplayOutcome, replay
from awardpath_shared.messaging.envelope import to_cloudevent
from awardpath_shared.messaging.kafka import KafkaTransport
from awardpath_shared.messaging.kafka_dead_letters import read_dead_letters
from awardpath_shared.messaging.kafka_topics import KafkaNames, ensure_topics
from tests.support.delivery import Delivery, kafka_settings
from tests.support.messaging import published_event
from tests.support.polling import eventually


@pytest.fixture
async def kafka_delivery(postgres_url, kafka_bootstrap_servers):
    opened = Delivery("kafka", postgres_url, kafka_settings(kafka_bootstrap_servers))
    yield opened
    await opened.close()


async def read_topic(settings, topic: str, count: int) -> list:
    reader = AIOKafkaConsumer(
        KafkaNames(settings.kafka_namespace).topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await reader.start()
    try:
        records = []

        async def read_more() -> list:
            for batch in (await asyncio.wait_for(reader.getmany(timeout_ms=500), 10)).values():
                records.extend(batch)
            return records

        return await eventually(read_more, lambda read: len(read) >= count, timeout=30)
    finally:
        await reader.stop()


async def test_events_travel_as_cloudevents_in_binary_mode_keyed_by_subject(kafka_bootstrap_servers):
    settings = kafka_settings(kafka_bootstrap_servers)
    transport = KafkaTransport(settings, client_id="wire-test")
    await transport.start()
    event = published_event("on the wire")
    cloudevent = to_cloudevent(event, event_id=new_id(), source="/awardpath/award", time=utcnow())
    try:
        await transport.publish(event.topic, event.subject(), cloudevent)
    finally:
        await transport.stop()

    [record] = await read_topic(settings, event.topic, 1)
    headers = {name: value.decode() for name, value in record.headers}
    assert record.key == event.subject().encode()
    assert headers["ce_id"] == cloudevent.get_id()
    assert headers["ce_type"] == "micro_credential.published.v1"
    assert headers["ce_source"] == "/awardpath/award"
    assert headers["ce_subject"] == event.subject()
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert json.loads(record.value) == event.model_dump(mode="json")


async def test_topics_are_created_once_with_the_configured_partitions(kafka_bootstrap_servers):
    settings = kafka_settings(kafka_bootstrap_servers, kafka_topic_partitions=3)
    await ensure_topics(settings)
    await ensure_topics(settings)  # a second process starting finds them: nothing changes

    names = KafkaNames(settings.kafka_namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(names.all_topics())
    finally:
        await admin.close()
    families = {event_class.topic for event_class in EVENT_TYPES.values()}
    assert {"awardpath.catalog", "awardpath.submission", "awardpath.assessment", "awardpath.award"} <= families
    assert sorted(topic["topic"] for topic in described) == sorted(
        f"{settings.kafka_namespace}{topic}{suffix}" for topic in families for suffix in ("", ".dlq")
    )
    assert {len(topic["partitions"]) for topic in described} == {3}


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_next_one_is_processed(kafka_delivery):
    handled = []

    async def refuses_poison(_session, event: MicroCredentialPublished) -> None:
        if event.title == "poison":
            raise ValueError("cannot handle this one")
        handled.append(event.title)

    await kafka_delivery.open({MicroCredentialPublished: refuses_poison})
    key = new_id()
    poison, next_one = published_event("poison", key), published_event("next", key)
    await kafka_delivery.publish(poison, next_one)
    await eventually(lambda: handled == ["next"])

    [letter] = await read_dead_letters(kafka_delivery.settings, kafka_delivery.consumer.group)
    assert letter.topic == "awardpath.catalog"
    assert letter.attempts == kafka_delivery.settings.consumer_max_attempts
    assert "cannot handle this one" in letter.error
    assert letter.event_type == "micro_credential.published.v1"
    assert letter.cloudevent.get_subject() == key and letter.cloudevent.get_data()["title"] == "poison"
    # Replaying it while the handler still fails keeps it; once fixed (a new release of the
    # service: the same group, a fixed handler), it is handled once.
    assert (await replay(kafka_delivery.consumer, letter))[0] == ReplayOutcome.FAILED

    async def fixed(_uow, event: MicroCredentialPublished) -> None:
        handled.append(event.title)

    released = kafka_delivery.consumer_of({MicroCredentialPublished: fixed}, kafka_delivery.consumer.group)
    assert await replay(released, letter) == (ReplayOutcome.HANDLED, "")
    assert await replay(released, letter) == (ReplayOutcome.ALREADY_PROCESSED, "")
    assert handled == ["next", "poison"]


async def test_a_message_that_is_not_a_cloudevent_is_dead_lettered_at_once(kafka_delivery):
    handled = []

    async def record(_session, event: MicroCredentialPublished) -> None:
        handled.append(event.title)

    await kafka_delivery.open({MicroCredentialPublished: record})
    names = KafkaNames(kafka_delivery.settings.kafka_namespace)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_delivery.settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            names.topic("awardpath.catalog"), value=b"not json", key=b"k", headers=[("ce_type", b"x")]
        )
    finally:
        await producer.stop()
    await kafka_delivery.publish(published_event("after garbage"))
    await eventually(lambda: handled == ["after garbage"])
    [letter] = await read_dead_letters(kafka_delivery.settings, kafka_delivery.consumer.group)
    assert letter.cloudevent is None and letter.attempts == 1
    assert (await replay(kafka_delivery.consumer, letter))[0] == ReplayOutcome.UNDECODABLE


async def test_events_the_group_does_not_handle_are_skipped_and_committed(kafka_delivery):
    handled = []

    async def record(_session, event: SubmissionSubmitted) -> None:
        handled.append(event.submission_id)

    await kafka_delivery.open({SubmissionSubmitted: record})
    submitted = submission_event(SubmissionSubmitted)
    other_type_same_topic = submission_event(SubmissionResubmitted, submitted.submission_id)
    await kafka_delivery.publish(other_type_same_topic, submitted)
    await eventually(lambda: handled == [submitted.submission_id])
    assert await committed_offsets(kafka_delivery) == 2


async def test_stopping_finishes_the_message_in_flight_and_commits_it(kafka_delivery):
    started, release, finished = asyncio.Event(), asyncio.Event(), []

    async def slow(_session, event: MicroCredentialPublished) -> None:
        started.set()
        await release.wait()
        finished.append(event.title)

    await kafka_delivery.open({MicroCredentialPublished: slow})
    await kafka_delivery.publish(published_event("in flight"))
    await asyncio.wait_for(started.wait(), 30)
    await kafka_delivery.relay.stop()
    stopping = asyncio.create_task(kafka_delivery.transport.stop())
    done, _ = await asyncio.wait({stopping}, timeout=0.3)
    assert not done  # waits for the handler (within its grace period), does not cut it off
    release.set()
    await asyncio.wait_for(stopping, 30)
    assert finished == ["in flight"]
    assert await committed_offsets(kafka_delivery) == 1


async def test_stopping_cancels_a_handler_past_the_grace_period_and_leaves_its_message_uncommitted(
    postgres_url, kafka_bootstrap_servers
):
    settings = kafka_settings(kafka_bootstrap_servers, kafka_stop_grace_seconds=0.5)
    delivery = Delivery("kafka", postgres_url, settings)
    started, cancelled = asyncio.Event(), []

    async def stuck(_uow, event: MicroCredentialPublished) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(event.title)
            raise

    try:
        await delivery.open({MicroCredentialPublished: stuck})
        await delivery.publish(published_event("stuck"))
        await asyncio.wait_for(started.wait(), 30)
        await delivery.relay.stop()
        await asyncio.wait_for(delivery.transport.stop(), 15)
        assert cancelled == ["stuck"]
        assert await committed_offsets(delivery) == 0  # the next owner of the partition gets it again
    finally:
        await delivery.close()


def submission_event(event_class, submission_id: str | None = None):
    return event_class(
        submission_id=submission_id or new_id(),
        attempt_id=new_id(),
        attempt=1,
        micro_credential_id="mc",
        micro_credential_version=1,
        evidence=[],
        submitted_at=utcnow(),
    )


async def committed_offsets(delivery: Delivery) -> int:
    """The sum of the group's committed offsets over its topic's partitions (within bounds:
    aiokafka retries an offset fetch without limit while the coordinator does not answer)."""
    settings = delivery.settings
    names = KafkaNames(settings.kafka_namespace)
    [topic] = [names.topic(topic) for topic in delivery.consumer.topics]
    probe = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=names.group(delivery.consumer.group),
        enable_auto_commit=False,
    )

    async def read() -> int:
        await probe.start()
        partitions = [TopicPartition(topic, partition) for partition in probe.partitions_for_topic(topic)]
        return sum([await probe.committed(partition) or 0 for partition in partitions])

    try:
        return await asyncio.wait_for(read(), 30)
    finally:
        await asyncio.wait_for(probe.stop(), 10)


async def test_a_consumer_group_that_has_not_handled_its_messages_shows_them_as_lag(kafka_delivery):
    # Operators see a stuck or slow worker as lag: here the handler waits until released.
    released = asyncio.Event()

    async def waits(_uow, _event: MicroCredentialPublished) -> None:
        await released.wait()

    await kafka_delivery.open({MicroCredentialPublished: waits})
    consumer, transport = kafka_delivery.consumer, kafka_delivery.transport
    # One submission's events: the relay sends them one after another. (Tansu answers the
    # end offset of a partition with the base offset of its last record batch plus one, so
    # records produced in one batch would count once there.)
    key = new_id()
    await kafka_delivery.publish(*(published_event(f"waiting {n}", key) for n in range(3)))

    async def total_lag() -> int:
        return sum((await transport.consumer_lag(consumer.group, consumer.topics)).values())

    assert await eventually(total_lag, lambda lag: lag == 3, timeout=30) == 3
    released.set()
    assert await eventually(total_lag, lambda lag: lag == 0, timeout=30) == 0
