"""What every transport promises, tested the same way on each (in-process and Kafka): events
staged in an outbox reach the consumer group, in order per key, once, and a failing handler
gets the event again until it succeeds, or, failing every try, is dead-lettered while the
key moves on; and the trace an event was staged in goes on in its handler (the CloudEvent's
`traceparent`, on Kafka a `ce_traceparent` header)."""

from opentelemetry import trace
from sqlalchemy import func, select

from awardpath_shared.events import MicroCredentialPublished
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.envelope import to_cloudevent
from awardpath_submission.models import OutboxMessage, ProcessedEvent
from tests.support.messaging import published_event
from tests.support.polling import eventually
from tests.support.tracing import consumer_spans, recorded_spans


def recording(seen: list[tuple[str, str]]):
    async def record(_session, event: MicroCredentialPublished) -> None:
        seen.append((event.micro_credential_id, event.title))

    return {MicroCredentialPublished: record}


async def test_published_events_reach_the_consumer_group(delivery):
    seen = []
    await delivery.open(recording(seen))
    events = [published_event(f"event {n}") for n in range(3)]
    await delivery.publish(*events)
    await eventually(lambda: len(seen) == 3)
    assert sorted(seen) == sorted((event.micro_credential_id, event.title) for event in events)


async def test_the_events_of_one_key_arrive_in_the_order_they_were_staged(delivery):
    seen = []
    await delivery.open(recording(seen))
    keys = [new_id() for _ in range(3)]
    events = [published_event(f"{n}", keys[n % 3]) for n in range(30)]
    for start in range(0, 30, 7):  # several transactions, interleaved keys
        await delivery.publish(*events[start : start + 7])
    await eventually(lambda: len(seen) == 30)
    for key in keys:
        assert [title for seen_key, title in seen if seen_key == key] == [
            event.title for event in events if event.micro_credential_id == key
        ]


async def test_a_redelivered_event_is_handled_once(delivery):
    seen = []
    await delivery.open(recording(seen))
    event = published_event("once")
    cloudevent = to_cloudevent(event, event_id=new_id(), source="/test", time=utcnow())
    marker = published_event("after the duplicate", event.micro_credential_id)
    for _ in range(3):  # a relay that crashed before marking the row sent publishes it again
        await delivery.transport.publish(event.topic, event.subject(), cloudevent)
    await delivery.publish(marker)
    await eventually(lambda: "after the duplicate" in [title for _, title in seen])
    assert [title for _, title in seen] == ["once", "after the duplicate"]
    async with delivery.sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id == cloudevent.get_id())
        )
    assert rows == 1


async def test_a_failing_handler_gets_the_event_again_until_it_succeeds(delivery):
    calls = []

    async def fails_twice(_session, event: MicroCredentialPublished) -> None:
        calls.append(event.title)
        if len(calls) <= 2:
            raise RuntimeError("handler bug, fixed on the third try")

    await delivery.open({MicroCredentialPublished: fails_twice})
    event = published_event("flaky")
    await delivery.publish(event)
    await eventually(lambda: len(calls) == 3)
    async with delivery.sessions() as session:
        processed = await session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .join(OutboxMessage, OutboxMessage.id == ProcessedEvent.event_id)
            .where(OutboxMessage.key == event.subject())
        )
    assert processed == 1 and calls == ["flaky"] * 3


async def test_a_handler_that_keeps_failing_dead_letters_the_event_and_the_key_moves_on(delivery):
    handled = []

    async def refuses_poison(_uow, event: MicroCredentialPublished) -> None:
        if event.title == "poison":
            raise ValueError("cannot handle this one")
        handled.append(event.title)

    await delivery.open({MicroCredentialPublished: refuses_poison})
    key = new_id()
    await delivery.publish(published_event("poison", key), published_event("next", key))
    await eventually(lambda: handled == ["next"])

    [letter] = await delivery.dead_letters()
    assert (letter.group, letter.topic) == (delivery.consumer.group, "awardpath.catalog")
    assert letter.attempts == delivery.settings.consumer_max_attempts == 3
    assert "cannot handle this one" in letter.error
    assert letter.cloudevent.get_subject() == key and letter.cloudevent.get_data()["title"] == "poison"
    async with delivery.sessions() as session:
        unsent = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.key == key, OutboxMessage.sent_at.is_(None))
        )
    assert unsent == 0  # the producer's outbox delivered both: the failure is the consumer group's


async def test_events_delivered_together_are_each_handled_once_when_one_of_them_fails(delivery):
    # Staged in one transaction, these reach the group together; the poison must cost the
    # others nothing: each is handled once, the poison alone is dead-lettered.
    await delivery.open({MicroCredentialPublished: _refusing_poison})
    events = [published_event(title) for title in ("first", "second", "poison", "fourth", "fifth")]
    await delivery.publish(*events)
    await eventually(delivery.dead_letters, lambda letters: len(letters) == 1, timeout=30)
    async with delivery.sessions() as session:
        processed = (
            await session.execute(
                select(OutboxMessage.key, func.count())
                .join(ProcessedEvent, ProcessedEvent.event_id == OutboxMessage.id)
                .group_by(OutboxMessage.key)
            )
        ).all()
    healthy = {event.micro_credential_id for event in events if event.title != "poison"}
    assert sorted(processed) == sorted((key, 1) for key in healthy)


async def _refusing_poison(_uow, event: MicroCredentialPublished) -> None:
    if event.title == "poison":
        raise ValueError("cannot handle this one")


async def test_the_handler_continues_the_trace_the_event_was_staged_in(delivery):
    seen = []

    async def record(_uow, event: MicroCredentialPublished) -> None:
        seen.append(trace.get_current_span().get_span_context())

    await delivery.open({MicroCredentialPublished: record})
    with recorded_spans() as spans:
        with trace.get_tracer("test").start_as_current_span("request") as request:
            await delivery.publish(published_event("traced"))
        await eventually(lambda: seen)
        [handling] = await eventually(
            lambda: consumer_spans(spans.get_finished_spans(), delivery.consumer.group, "micro_credential.published.v1")
        )
    [handled] = seen
    assert handled.trace_id == request.get_span_context().trace_id
    assert handled.span_id == handling.context.span_id  # the handler runs in the consumer's span
    assert handling.parent.span_id == request.get_span_context().span_id
