"""In-process transport for the all-in-one run: delivery is a direct, awaited call.

Publishing hands the event to every subscribed consumer group before returning, under the
same retry policy as Kafka (`delivery`): a handler that keeps failing has its event kept in
that group's dead-letter table and the others are not held up. So the outbox row is marked
sent only after every group committed or dead-lettered it; a crash in between leaves it
unsent and the relay sends it again after the restart (consumers drop the duplicate).
"""

import asyncio
from functools import partial

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.delivery import RetryPolicy, deliver
from awardpath_shared.messaging.transport import Consumer


class InProcessTransport:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._consumers: list[Consumer] = []

    def subscribe(self, consumer: Consumer) -> None:
        self._consumers.append(consumer)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None:
        for consumer in self._consumers:
            if consumer.wants(cloudevent.get_type()):
                # A wait runs in the publishing relay's task: stopping the relay cancels it.
                await deliver(
                    consumer,
                    cloudevent,
                    self._policy,
                    wait=asyncio.sleep,
                    dead_letter=partial(consumer.dead_letters.keep, cloudevent),
                )
