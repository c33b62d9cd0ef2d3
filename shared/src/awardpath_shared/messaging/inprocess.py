"""In-process transport for the all-in-one run: delivery is a direct, awaited call.

Publishing hands the event to every subscribed consumer group before returning, under the
same retry policy as Kafka (`delivery`): a handler that keeps failing has its event kept in
that group's dead-letter table and the others are not held up. So the outbox row is marked
sent only after every group committed or dead-lettered it; a crash in between leaves it
unsent and the relay sends it again after the restart (consumers drop the duplicate).

The relay publishes its keys side by side; what reaches one consumer group at the same
moment is handled in one transaction (`deliver_together`) by that group's flushing task,
while each publisher waits for its own event's outcome only. A key's next event is published
only once its previous one returned, so a batch never holds two events of one key. When a
batch fails, each of its events is delivered alone, in its publisher's task, as it would
have been without batching: a failing event is retried without holding up the others.
"""

import asyncio
from functools import partial

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.delivery import RetryPolicy, deliver, deliver_together
from awardpath_shared.messaging.transport import Consumer

# Events handled in one transaction at most.
BATCH_LIMIT = 100


class InProcessTransport:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._consumers: list[Consumer] = []
        self._batches: dict[str, _Batching] = {}

    def subscribe(self, consumer: Consumer) -> None:
        self._consumers.append(consumer)
        self._batches[consumer.group] = _Batching(consumer, self._policy)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for batches in self._batches.values():
            await batches.stop()

    async def consumer_lag(self, group: str, topics: frozenset[str]) -> dict[tuple[str, int], int]:
        """Nothing: delivery is part of the relay's publishing, so the backlog is the outbox's."""
        return {}

    async def reachable(self) -> bool:
        return True  # no broker: delivery is in this process

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None:
        wanting = [consumer for consumer in self._consumers if consumer.wants(cloudevent.get_type())]
        # A group that fails cancels the others' deliveries: the relay publishes the row again.
        async with asyncio.TaskGroup() as groups:
            for consumer in wanting:
                groups.create_task(self._batches[consumer.group].deliver(cloudevent))


class _Batching:
    """One consumer group's deliveries: events published at the same moment are handled
    together by the group's flushing task (started by the first of them, ended when nothing
    waits); each publisher waits for its own event's outcome."""

    def __init__(self, consumer: Consumer, policy: RetryPolicy) -> None:
        self._consumer = consumer
        self._policy = policy
        # Each event with the outcome of its batch: True handled, False deliver it alone.
        self._waiting: list[tuple[BaseCloudEvent, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def deliver(self, cloudevent: BaseCloudEvent) -> None:
        together: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((cloudevent, together))
        if self._flushing is None:
            # It starts once the publishers of this moment have queued their events.
            self._flushing = asyncio.create_task(self._flush(), name=f"deliveries-{self._consumer.group}")
        if await together:
            return
        # A wait runs in the publishing relay's task: stopping the relay cancels it.
        await deliver(
            self._consumer,
            cloudevent,
            self._policy,
            wait=asyncio.sleep,
            dead_letter=partial(self._consumer.dead_letters.keep, cloudevent),
        )

    async def stop(self) -> None:
        if self._flushing is not None:
            self._flushing.cancel()
            await asyncio.gather(self._flushing, return_exceptions=True)

    async def _flush(self) -> None:
        batch: list[tuple[BaseCloudEvent, asyncio.Future[bool]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH_LIMIT], self._waiting[BATCH_LIMIT:]
                handled = len(batch) > 1 and await deliver_together(self._consumer, [event for event, _ in batch])
                _settle(batch, handled)
        finally:
            self._flushing = None
            # Cancelled (the transport is stopping): whoever still waits delivers alone.
            _settle(batch + self._waiting, False)
            self._waiting = []


def _settle(batch: list[tuple[BaseCloudEvent, asyncio.Future[bool]]], handled: bool) -> None:
    for _, outcome in batch:
        if not outcome.done():
            outcome.set_result(handled)
