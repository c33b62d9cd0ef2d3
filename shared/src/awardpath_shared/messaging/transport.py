"""The transport interface: how outbox rows leave a service and events reach consumers.

`publish` returns only once the transport has accepted the event for every consumer group
(in-process: handled or dead-lettered by each; Kafka: acknowledged by the brokers), so the
relay may then mark the row sent. A transport delivers each event type to every subscribed
`Consumer` (one per service: its consumer group) that handles it, through `delivery.deliver`.
"""

from collections.abc import Sequence
from typing import Protocol

from cloudevents.core.base import BaseCloudEvent

from awardpath_shared.messaging.dead_letters import DeadLetterStore


class Consumer(Protocol):
    """A service's consumer group as transports see it (`inbox.EventConsumer`)."""

    group: str
    dead_letters: DeadLetterStore

    @property
    def topics(self) -> frozenset[str]: ...

    def wants(self, event_type: str) -> bool: ...

    async def handle(self, cloudevent: BaseCloudEvent) -> bool: ...

    async def handle_together(self, cloudevents: Sequence[BaseCloudEvent]) -> list[bool]: ...

    async def database_answers(self) -> bool: ...


class Transport(Protocol):
    def subscribe(self, consumer: Consumer) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, key: str, cloudevent: BaseCloudEvent) -> None: ...

    async def consumer_lag(self, group: str, topics: frozenset[str]) -> dict[tuple[str, int], int]:
        """Messages of `topics` per (topic, partition) that `group` has yet to handle."""
        ...

    async def reachable(self) -> bool:
        """Whether the brokers answer now (readiness)."""
        ...
