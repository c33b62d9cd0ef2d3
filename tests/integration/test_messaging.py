"""The delivery guarantees on a real, migrated database (both backends): transactional
outbox, idempotent consumer, per-key order, redelivery after a crash."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from awardpath_shared.events import MicroCredentialPublished
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.dead_letters import DeadLetterStore
from awardpath_shared.messaging.envelope import to_cloudevent
from awardpath_shared.messaging.inbox import EventConsumer
from awardpath_submission.app import build_runtime
from awardpath_submission.catalog.service import CatalogService
from awardpath_submission.models import DeadLetter, MicroCredential, OutboxMessage, ProcessedEvent
from awardpath_submission.settings import SubmissionSettings
from tests.support.messaging import ProcessKilled, RecordingTransport, published_event


@pytest.fixture
async def runtime(database_url):
    transport = RecordingTransport()
    runtime = build_runtime(SubmissionSettings(database_url=database_url), transport)
    yield runtime
    await runtime.close()


async def count(runtime, model, *where) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_redelivered_event_changes_nothing(runtime):
    event = published_event("First title")
    cloudevent = to_cloudevent(event, event_id=new_id(), source="/test", time=utcnow())
    same_id_other_content = to_cloudevent(
        published_event("Changed title", event.micro_credential_id),
        event_id=cloudevent.get_id(),
        source="/test",
        time=utcnow(),
    )

    assert await runtime.consumer.handle(cloudevent) is True
    assert await runtime.consumer.handle(cloudevent) is False
    assert await runtime.consumer.handle(same_id_other_content) is False

    async with runtime.sessions() as session:
        stored = await session.get(MicroCredential, event.micro_credential_id)
    assert stored.title == "First title"
    assert await count(runtime, ProcessedEvent, ProcessedEvent.event_id == cloudevent.get_id()) == 1


async def test_a_failing_handler_rolls_back_its_writes_and_its_processed_row(runtime):
    event = published_event()
    cloudevent = to_cloudevent(event, event_id=new_id(), source="/test", time=utcnow())

    async def writes_then_fails(uow, received):
        await CatalogService(uow).record(received)
        raise RuntimeError("handler bug")

    failing = EventConsumer(
        group="test",
        handlers={MicroCredentialPublished: writes_then_fails},
        transaction=runtime.transaction,
        processed_model=ProcessedEvent,
        dead_letters=DeadLetterStore("test", runtime.sessions, DeadLetter),
    )
    with pytest.raises(RuntimeError):
        await failing.handle(cloudevent)

    assert await count(runtime, MicroCredential, MicroCredential.id == event.micro_credential_id) == 0
    assert await count(runtime, ProcessedEvent, ProcessedEvent.event_id == cloudevent.get_id()) == 0
    # The redelivery is then handled normally.
    assert await runtime.consumer.handle(cloudevent) is True
    assert await count(runtime, MicroCredential, MicroCredential.id == event.micro_credential_id) == 1


async def stage(runtime, *events) -> None:
    async with runtime.transaction() as uow:
        for event in events:
            uow.publish(event)


async def unsent(runtime, key: str) -> int:
    return await count(runtime, OutboxMessage, OutboxMessage.key == key, OutboxMessage.sent_at.is_(None))


async def test_events_committed_before_a_crash_are_sent_after_the_restart(database_url):
    settings = SubmissionSettings(database_url=database_url)
    event = published_event()
    before_crash = build_runtime(settings, RecordingTransport())
    await stage(before_crash, event)
    await before_crash.close()  # the process dies before its relay ran

    restarted_transport = RecordingTransport()
    restarted = build_runtime(settings, restarted_transport)
    try:
        await restarted.relay.relay_once()
        assert [ce.get_subject() for ce in restarted_transport.published] == [event.micro_credential_id]
        assert await unsent(restarted, event.micro_credential_id) == 0
    finally:
        await restarted.close()


async def test_a_crash_after_publishing_but_before_marking_sent_resends_and_the_consumer_drops_it(
    database_url,
):
    settings = SubmissionSettings(database_url=database_url)
    event = published_event()
    crashing_transport = RecordingTransport()
    crashing = build_runtime(settings, crashing_transport)
    await stage(crashing, event)

    crashing_transport.die_after_next_publish = True
    with pytest.raises(ProcessKilled):
        await crashing.relay.relay_once()
    await crashing.close()
    consumer = crashing.consumer
    assert await consumer.handle(crashing_transport.published[0]) is True

    restarted_transport = RecordingTransport()
    restarted = build_runtime(settings, restarted_transport)
    try:
        # The claim lease of the dead relay must run out before another relay takes the row.
        async with restarted.sessions() as session, session.begin():
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == event.micro_credential_id))
            row.claimed_until = utcnow() - timedelta(seconds=1)
        await restarted.relay.relay_once()
        resent = restarted_transport.published
        assert [ce.get_id() for ce in resent] == [crashing_transport.published[0].get_id()]
        assert await restarted.consumer.handle(resent[0]) is False
        assert await unsent(restarted, event.micro_credential_id) == 0
    finally:
        await restarted.close()


async def test_a_failed_publish_holds_back_later_events_of_the_same_key_only(runtime):
    key_a, key_b = new_id(), new_id()
    first_a, second_a = published_event("a1", key_a), published_event("a2", key_a)
    only_b = published_event("b", key_b)
    await stage(runtime, first_a, second_a, only_b)
    transport = runtime.transport
    transport.failures_left = 1  # the first row (a1) fails

    await runtime.relay.relay_once()
    assert [ce.get_data()["title"] for ce in transport.published] == ["b"]
    assert await unsent(runtime, key_a) == 2

    async with runtime.sessions() as session, session.begin():
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == key_a).order_by(OutboxMessage.id).limit(1)
        )
        assert row.attempts == 1 and "broker unavailable" in row.last_error
        row.next_attempt_at = utcnow()  # skip the backoff wait
    await runtime.relay.relay_once()
    assert [ce.get_data()["title"] for ce in transport.published] == ["b", "a1", "a2"]


async def test_a_row_that_keeps_failing_is_kept_as_dead_with_its_error(database_url):
    transport = RecordingTransport()
    runtime = build_runtime(SubmissionSettings(database_url=database_url, relay_max_attempts=2), transport)
    event = published_event()
    await stage(runtime, event)
    transport.failures_left = 2
    try:
        for _ in range(2):
            async with runtime.sessions() as session, session.begin():
                row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == event.micro_credential_id))
                row.next_attempt_at = utcnow()
            await runtime.relay.relay_once()
        async with runtime.sessions() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.key == event.micro_credential_id))
        assert row.dead_at is not None and row.sent_at is None and "broker unavailable" in row.last_error
        await runtime.relay.relay_once()
        assert transport.published == []
    finally:
        await runtime.close()
