"""The transport interface: how outbox rows leave a service and events reach consumers.

`publish` returns only once the transport has accepted the event for every consumer (the
in-process transport: handled; Kafka: acknowledged by the brokers), so the relay may then
mark the row sent. Consumers are `EventConsumer`s; a transport delivers each event type
to every consumer group that handles it.
"""

from typing import Protocol

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.inbox import EventConsumer


class Transport(Protocol):
    def subscribe(self, consumer: EventConsumer) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None: ...
