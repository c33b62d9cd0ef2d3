"""Idempotent consumers: a handler's writes and its processed-event row commit together."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Generic

from cloudevents.core.base import BaseCloudEvent
from sqlalchemy import String, select, text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime, insert_or_skip
from awardpath_shared.events import Event
from awardpath_shared.ids import utcnow
from awardpath_shared.messaging.dead_letters import DeadLetterStore
from awardpath_shared.messaging.envelope import from_cloudevent, topic_of
from awardpath_shared.tracing import consuming
from awardpath_shared.unit_of_work import U

logger = logging.getLogger(__name__)

DATABASE_PROBE_SECONDS = 5.0

Handler = Callable[[U, Any], Awaitable[None]]
HandlerMap = Mapping[type[Event], Handler[U]]


class ProcessedEventMixin:
    """Columns of a service's `processed_events` table (the consumer's inbox)."""

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EventConsumer(Generic[U]):
    """Runs one service's handler map over incoming CloudEvents, exactly once per event id.

    Each event is handled in a unit of work of its own (`transaction`), which the handler's
    writes and the processed-event row share. `dead_letters` keeps what the transport gives
    up on when the transport has no dead-letter topic of its own (in-process delivery)."""

    def __init__(
        self,
        group: str,
        handlers: HandlerMap[U],
        transaction: Callable[[], AbstractAsyncContextManager[U]],
        processed_model: type[ProcessedEventMixin],
        dead_letters: DeadLetterStore,
    ) -> None:
        self.group = group
        self._handlers = {event_class.event_type(): handler for event_class, handler in handlers.items()}
        self._transaction = transaction
        self._processed_model = processed_model
        self.dead_letters = dead_letters

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

        The processed-event row is inserted first (or skipped: the event was processed), so a
        concurrent delivery of the same event waits for this one's commit, then skips it. A
        handler failure rolls back its writes and that row together, so the event can be
        delivered again later."""
        [handled] = await self.handle_together([cloudevent])
        return handled

    async def handle_together(self, cloudevents: Sequence[BaseCloudEvent]) -> list[bool]:
        """Handle several events, in order, in one unit of work: one transaction, one
        statement for their processed-event rows (those already processed are skipped). Any
        failure rolls back all of them: the caller then delivers them one by one, each under
        the retry policy. Only events of independent keys, or of one key in order, belong in
        one call. Returns, per event, whether it was handled (False: processed before, or
        not one this consumer handles).

        The handlers share one session: a handler's queries see what earlier ones flushed (the
        services flush what they change, rule 5), and rows merely added (a webhook message)
        are inserted together at the commit. Flushing after each handler would split those
        inserts and, measured, cost nearly half the drain's CPU.

        Each handler runs in a span continuing its event's trace (`tracing.consuming`), so
        what it stages goes on in that trace."""
        wanted = [cloudevent for cloudevent in cloudevents if cloudevent.get_type() in self._handlers]
        if not wanted:
            return [False] * len(cloudevents)
        with consuming(wanted, self.group) as handler_span:
            async with self._transaction() as uow:
                # The ids not processed before come back.
                dialect = uow.session.get_bind().dialect.name
                statement = insert_or_skip(self._processed_model, ("event_id",), dialect, returning="event_id")
                inserted = await uow.session.execute(statement, [_inbox_row(cloudevent) for cloudevent in wanted])
                first_deliveries = set(inserted.scalars())
                handled = []
                for cloudevent in cloudevents:
                    # An id given twice (a redelivery in the same batch) is handled the first time.
                    first = cloudevent.get_id() in first_deliveries and cloudevent.get_type() in self._handlers
                    first_deliveries.discard(cloudevent.get_id())
                    if first:
                        with handler_span(cloudevent):
                            await self._handlers[cloudevent.get_type()](uow, from_cloudevent(cloudevent))
                    handled.append(first)
        return handled

    async def database_answers(self) -> bool:
        """Whether the consumer's database answers now (tells an outage from a failing handler)."""
        try:
            async with asyncio.timeout(DATABASE_PROBE_SECONDS), self._transaction() as uow:
                await uow.session.execute(text("SELECT 1"))
        except Exception:  # any failure to answer is an outage
            return False
        return True

    async def is_processed(self, event_id: str) -> bool:
        model = self._processed_model
        async with self._transaction() as uow:
            found = await uow.session.scalar(select(model.event_id).where(model.event_id == event_id))
        return found is not None


def _inbox_row(cloudevent: BaseCloudEvent) -> dict[str, Any]:
    return {"event_id": cloudevent.get_id(), "event_type": cloudevent.get_type(), "processed_at": utcnow()}
