"""The one retry policy every transport delivers by (`awardpath_shared.messaging.delivery`),
with a fake consumer and a recorded clock: retries with doubling backoff, dead letters after
the last attempt, database outages waited out without limit (and only real ones), shutdown
abandoning a wait."""

import pytest
from sqlalchemy.exc import OperationalError

from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.delivery import Abandoned, Delivered, RetryPolicy, deliver
from awardpath_shared.messaging.envelope import to_cloudevent
from tests.support.messaging import published_event

POLICY = RetryPolicy(max_attempts=4, first_backoff_seconds=0.5, max_backoff_seconds=3.0)
OUTAGE = OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))


class FakeConsumer:
    """Answers each delivery with the next scripted outcome: True (handled), False
    (duplicate) or an exception to raise."""

    group = "test-group"

    def __init__(self, *outcomes: bool | Exception, database_up: bool = False) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.database_up = database_up

    async def database_answers(self) -> bool:
        return self.database_up

    async def handle(self, cloudevent) -> bool:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class Recorder:
    def __init__(self, abandon_after: int | None = None) -> None:
        self.waits: list[float] = []
        self.dead: list[tuple[str, int]] = []
        self.abandon_after = abandon_after

    async def wait(self, seconds: float) -> None:
        if self.abandon_after is not None and len(self.waits) >= self.abandon_after:
            raise Abandoned
        self.waits.append(seconds)

    async def dead_letter(self, error: Exception, attempts: int) -> None:
        self.dead.append((str(error), attempts))


def cloudevent():
    return to_cloudevent(published_event(), event_id=new_id(), source="/test", time=utcnow())


async def run(consumer: FakeConsumer, recorder: Recorder) -> Delivered:
    return await deliver(consumer, cloudevent(), POLICY, wait=recorder.wait, dead_letter=recorder.dead_letter)


async def test_a_handled_event_is_delivered_once_without_waiting():
    consumer, recorder = FakeConsumer(True), Recorder()
    assert await run(consumer, recorder) == Delivered.HANDLED
    assert (consumer.calls, recorder.waits, recorder.dead) == (1, [], [])


async def test_a_duplicate_is_reported_as_such():
    assert await run(FakeConsumer(False), Recorder()) == Delivered.DUPLICATE


async def test_a_failing_handler_is_retried_with_doubling_backoff_until_it_succeeds():
    consumer, recorder = FakeConsumer(ValueError("bug"), ValueError("bug"), True), Recorder()
    assert await run(consumer, recorder) == Delivered.HANDLED
    assert consumer.calls == 3 and recorder.waits == [0.5, 1.0] and recorder.dead == []


async def test_after_the_last_attempt_the_event_is_dead_lettered_with_its_error():
    consumer = FakeConsumer(*[ValueError(f"bug {n}") for n in range(1, 5)])
    recorder = Recorder()
    assert await run(consumer, recorder) == Delivered.DEAD_LETTERED
    assert consumer.calls == 4
    assert recorder.waits == [0.5, 1.0, 2.0]  # no wait after the last attempt
    assert recorder.dead == [("bug 4", 4)]


async def test_a_database_outage_is_waited_out_without_limit_and_never_dead_lettered():
    consumer, recorder = FakeConsumer(*[OUTAGE] * 7, True), Recorder()
    assert await run(consumer, recorder) == Delivered.HANDLED
    assert consumer.calls == 8 and recorder.dead == []
    assert recorder.waits == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0]  # capped


async def test_a_connection_error_while_the_database_answers_is_the_handler_failing():
    refused = ConnectionRefusedError("the outbound service is down")
    consumer, recorder = FakeConsumer(*[refused] * 4, database_up=True), Recorder()
    assert await run(consumer, recorder) == Delivered.DEAD_LETTERED
    assert consumer.calls == 4 and recorder.waits == [0.5, 1.0, 2.0]
    assert recorder.dead == [("the outbound service is down", 4)]


async def test_outages_do_not_use_up_the_attempts_of_a_failing_handler():
    consumer = FakeConsumer(ValueError("bug"), OUTAGE, OUTAGE, ValueError("bug"), ValueError("bug"), True)
    assert await run(consumer, Recorder()) == Delivered.HANDLED


async def test_shutdown_during_a_wait_abandons_the_event_undelivered():
    consumer, recorder = FakeConsumer(ValueError("bug"), ValueError("bug"), True), Recorder(abandon_after=1)
    with pytest.raises(Abandoned):
        await run(consumer, recorder)
    assert consumer.calls == 2 and recorder.dead == []
