"""In-process transport for the all-in-one run: delivery is a direct, awaited call.

Publishing runs every subscribed consumer before returning, so the outbox row is marked sent
only after all consumers committed; a crash in between leaves it unsent and the relay sends
it again after the restart (consumers drop the duplicate).
"""

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.inbox import EventConsumer


class InProcessTransport:
    def __init__(self) -> None:
        self._consumers: list[EventConsumer] = []

    def subscribe(self, consumer: EventConsumer) -> None:
        self._consumers.append(consumer)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None:
        for consumer in self._consumers:
            if consumer.wants(cloudevent.get_type()):
                await consumer.handle(cloudevent)
