"""Idempotent consumers: a handler's writes and its processed-event row commit together."""

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from cloudevents.core.base import BaseCloudEvent
from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime
from awardpath_shared.events import Event
from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.envelope import from_cloudevent, topic_of

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]
HandlerMap = Mapping[type[Event], Handler]


class ProcessedEventMixin:
    """Columns of a service's `processed_events` table (the consumer's inbox)."""

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EventConsumer:
    """Runs one service's handler map over incoming CloudEvents, exactly once per event id."""

    def __init__(
        self,
        group: str,
        handlers: HandlerMap,
        sessions: async_sessionmaker[AsyncSession],
        processed_model: type[ProcessedEventMixin],
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.group = group
        self._handlers = {event_class.event_type(): handler for event_class, handler in handlers.items()}
        self._sessions = sessions
        self._processed_model = processed_model
        self._after_commit = after_commit

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(topic_of(event_type) for event_type in self._handlers)

    def wants(self, event_type: str) -> bool:
        return event_type in self._handlers

    async def handle(self, cloudevent: BaseCloudEvent) -> bool:
        """Handle one event; returns False when it had already been processed.

        The handler's writes and the processed-event row share one transaction, so a handler
        failure rolls both back and the event is delivered again later.
        """
        handler = self._handlers.get(cloudevent.get_type())
        if handler is None:
            return False
        event = from_cloudevent(cloudevent)
        async with self._sessions() as session:
            try:
                async with session.begin():
                    if await self._already_processed(session, cloudevent.get_id()):
                        logger.debug("skipping duplicate event %s", cloudevent.get_id())
                        return False
                    await handler(session, event)
                    session.add(
                        self._processed_model(
                            event_id=cloudevent.get_id(),
                            event_type=cloudevent.get_type(),
                            processed_at=utcnow(),
                        )
                    )
            except IntegrityError:
                # A concurrent delivery of the same event won the race; ours rolled back.
                if await self._already_processed(session, cloudevent.get_id()):
                    return False
                raise
        if session.info.get("outbox_pending"):
            self._after_commit()
        return True

    async def is_processed(self, event_id: str) -> bool:
        async with self._sessions() as session:
            return await self._already_processed(session, event_id)

    async def _already_processed(self, session: AsyncSession, event_id: str) -> bool:
        model = self._processed_model
        found = await session.scalar(select(model.event_id).where(model.event_id == event_id))
        return found is not None
