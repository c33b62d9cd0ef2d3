"""Dead letters: events a consumer group gave up on, kept for an operator to read and replay.

On Kafka they go to `<topic>.dlq` (see `kafka_dead_letters`); with in-process delivery,
which has no topics, the consuming service keeps them in its own `dead_letters` table
(`DeadLetterStore`). Either way an operator sees `DeadLetter` records, and replaying hands
one to the service's consumer again: the idempotent consumer makes replaying twice, or
replaying an event that was since processed, change nothing.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.formats.json import JSONFormat
from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.envelope import topic_of


class ReplayOutcome(StrEnum):
    HANDLED = "handled"
    ALREADY_PROCESSED = "already processed"
    FAILED = "failed"
    UNDECODABLE = "undecodable"


@dataclass(frozen=True)
class DeadLetter:
    group: str
    topic: str
    attempts: int
    error: str
    failed_at: str
    cloudevent: BaseCloudEvent | None  # None when the message is not a readable CloudEvent

    @property
    def event_id(self) -> str:
        return self.cloudevent.get_id() if self.cloudevent else "-"

    @property
    def event_type(self) -> str:
        return self.cloudevent.get_type() if self.cloudevent else "-"

    @property
    def subject(self) -> str:
        return (self.cloudevent.get_subject() if self.cloudevent else None) or "-"


class Replayable(Protocol):
    """What replaying needs of a consumer (`EventConsumer`)."""

    async def handle(self, cloudevent: BaseCloudEvent) -> bool: ...


async def replay(consumer: Replayable, letter: DeadLetter) -> tuple[ReplayOutcome, str]:
    """Hand one dead letter to the consumer again; returns the outcome and the error if any."""
    if letter.cloudevent is None:
        return ReplayOutcome.UNDECODABLE, letter.error
    try:
        handled = await consumer.handle(letter.cloudevent)
    except Exception as error:  # the operator sees it; the dead letter stays for another try
        return ReplayOutcome.FAILED, repr(error)
    return (ReplayOutcome.HANDLED if handled else ReplayOutcome.ALREADY_PROCESSED), ""


class DeadLetterMixin:
    """Columns of a service's `dead_letters` table: events its consumer group gave up on
    under in-process delivery, each as its structured CloudEvent, once per group."""

    # An event published again after a crash, and given up on again, is kept once.
    __table_args__ = (UniqueConstraint("group_name", "event_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(100))
    cloudevent: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @classmethod
    def of(cls, group: str, cloudevent: BaseCloudEvent, error: Exception, attempts: int) -> Self:
        row = cls()
        row.id = new_id()
        row.group_name = group
        row.event_id, row.event_type = cloudevent.get_id(), cloudevent.get_type()
        row.topic = topic_of(cloudevent.get_type())
        row.cloudevent = json.loads(JSONFormat().write(cloudevent))
        row.attempts = attempts
        row.error = repr(error)[:4000]
        row.failed_at = utcnow()
        return row

    def letter(self) -> DeadLetter:
        return DeadLetter(
            group=self.group_name,
            topic=self.topic,
            attempts=self.attempts,
            error=self.error,
            failed_at=self.failed_at.isoformat(),
            cloudevent=JSONFormat().read(None, json.dumps(self.cloudevent).encode()),
        )


class DeadLetterStore:
    """A consumer group's dead letters in its service's database (in-process delivery)."""

    def __init__(self, group: str, sessions: async_sessionmaker[AsyncSession], model: type[DeadLetterMixin]) -> None:
        self._group = group
        self._sessions = sessions
        self._model = model

    async def keep(self, cloudevent: BaseCloudEvent, error: Exception, attempts: int) -> None:
        """Keep the event's dead letter, unless the group has kept it already."""
        model = self._model
        async with self._sessions() as session, session.begin():
            kept = await session.scalar(
                select(model.id).where(model.group_name == self._group, model.event_id == cloudevent.get_id())
            )
            if kept is None:
                session.add(model.of(self._group, cloudevent, error, attempts))

    async def read(self) -> list[DeadLetter]:
        """Every dead letter of the group, oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(self._model).where(self._model.group_name == self._group).order_by(self._model.id)
            )
            return [row.letter() for row in rows]
