"""How a transport hands one event to one consumer group: the same on every transport.

A handler that fails is tried again after a doubling backoff, up to the policy's attempts;
then the event is dead-lettered (the transport says where) and the transport moves on to the
next event. A database outage is not the event's fault: it is waited out without limit and
never dead-lettered. What looks like one (a connection or timeout error) counts as an outage
only while the consumer's database does not answer; otherwise it is the handler failing
(a refused outbound call, a missing file), retried and dead-lettered like any failure.

A transport that is shutting down interrupts a wait by raising `Abandoned` from its `wait`:
the event stays undelivered for whoever delivers it next.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cloudevents.core.base import BaseCloudEvent
from sqlalchemy.exc import InterfaceError, OperationalError

from awardpath_shared.backoff import exponential_backoff
from awardpath_shared.messaging.transport import Consumer
from awardpath_shared.metrics import DEAD_LETTERS, service_of_group
from awardpath_shared.settings import ServiceSettings
from awardpath_shared.tracing import continuing

logger = logging.getLogger(__name__)

# Errors that may mean the database is away; it is asked before they count as an outage.
CONNECTION_ERRORS = (OperationalError, InterfaceError, OSError, TimeoutError)

Wait = Callable[[float], Awaitable[None]]
DeadLetterSink = Callable[[Exception, int], Awaitable[None]]


class Abandoned(Exception):
    """Shutdown interrupted a retry wait: leave the event to whoever delivers it next."""


class Delivered(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    first_backoff_seconds: float
    max_backoff_seconds: float = 30.0

    @classmethod
    def of(cls, settings: ServiceSettings) -> "RetryPolicy":
        return cls(settings.consumer_max_attempts, settings.consumer_retry_backoff_seconds)

    def delay(self, failures: int) -> float:
        return exponential_backoff(failures, base=self.first_backoff_seconds, cap=self.max_backoff_seconds)


async def deliver(
    consumer: Consumer,
    cloudevent: BaseCloudEvent,
    policy: RetryPolicy,
    *,
    wait: Wait,
    dead_letter: DeadLetterSink,
) -> Delivered:
    """Hand `cloudevent` to `consumer` until it is handled or dead-lettered; the log lines
    meanwhile carry the event's trace and submission."""
    with continuing(cloudevent, consumer.group):
        return await _deliver(consumer, cloudevent, policy, wait=wait, dead_letter=dead_letter)


async def _deliver(
    consumer: Consumer,
    cloudevent: BaseCloudEvent,
    policy: RetryPolicy,
    *,
    wait: Wait,
    dead_letter: DeadLetterSink,
) -> Delivered:
    failures = outages = 0
    while True:
        try:
            handled = await consumer.handle(cloudevent)
        except CONNECTION_ERRORS as error:
            if await consumer.database_answers():
                failures += 1
                if await _gave_up(consumer, cloudevent, policy, error, failures, wait, dead_letter):
                    return Delivered.DEAD_LETTERED
                continue
            outages += 1
            logger.warning("%s: %s waits for the database: %r", consumer.group, _named(cloudevent), error)
            await wait(policy.delay(outages))
            continue
        except Exception as error:
            failures += 1
            if await _gave_up(consumer, cloudevent, policy, error, failures, wait, dead_letter):
                return Delivered.DEAD_LETTERED
            continue
        _log_outcome(consumer, cloudevent, handled)
        return Delivered.HANDLED if handled else Delivered.DUPLICATE


async def deliver_together(consumer: Consumer, cloudevents: Sequence[BaseCloudEvent]) -> bool:
    """Try handing `cloudevents` to `consumer` in one transaction (cheaper than one each: one
    commit, one statement for the inbox, locks taken once). True when it committed; False
    when any of them failed, and none of them was committed: the transport then delivers
    them one by one with `deliver`, under the retry policy."""
    try:
        handled = await consumer.handle_together(cloudevents)
    except Exception as error:  # whichever failed will fail again alone, and be retried there
        logger.info("%s: %d events go one by one after %r", consumer.group, len(cloudevents), error)
        return False
    for cloudevent, was_handled in zip(cloudevents, handled, strict=True):
        if consumer.wants(cloudevent.get_type()):
            with continuing(cloudevent, consumer.group):
                _log_outcome(consumer, cloudevent, was_handled)
    return True


def _log_outcome(consumer: Consumer, cloudevent: BaseCloudEvent, handled: bool) -> None:
    logger.info("%s: %s %s", consumer.group, "handled" if handled else "dropped duplicate", _named(cloudevent))


async def _gave_up(
    consumer: Consumer,
    cloudevent: BaseCloudEvent,
    policy: RetryPolicy,
    error: Exception,
    failures: int,
    wait: Wait,
    dead_letter: DeadLetterSink,
) -> bool:
    """After a failed try: dead-letter on the last attempt (True), else wait before the next."""
    logger.warning("%s: handling %s failed (attempt %d): %r", consumer.group, _named(cloudevent), failures, error)
    if failures >= policy.max_attempts:
        logger.error("%s: %s is dead-lettered after %d attempts", consumer.group, _named(cloudevent), failures)
        await dead_letter(error, failures)
        DEAD_LETTERS.labels(service_of_group(consumer.group), cloudevent.get_type()).inc()
        return True
    await wait(policy.delay(failures))
    return False


def _named(cloudevent: BaseCloudEvent) -> str:
    return f"{cloudevent.get_type()} {cloudevent.get_id()}"
