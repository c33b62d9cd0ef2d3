"""Transactional outbox: events are rows committed with the state change that caused them
(staged by `UnitOfWork.publish`); the relay publishes them after the commit. A row keeps the
trace context it was staged in (`tracing`), which the relay sets on its CloudEvent."""

from datetime import datetime
from typing import Any, Self

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime
from awardpath_shared.events import Event
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.tracing import current_trace_context


class OutboxMessageMixin:
    """Columns of a service's `outbox` table; each service maps it in its own schema."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when delivery gave up after the configured attempts: kept, visible, replayable.
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The W3C trace context (`traceparent`, `tracestate`) current when the event was staged.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSON)

    @classmethod
    def staging(cls, event: Event) -> Self:
        """The row of `event`, due at once."""
        row = cls()
        row.id = new_id()
        row.event_type = event.event_type()
        row.topic = event.topic
        row.key = event.subject()
        row.payload = event.model_dump(mode="json")
        row.created_at = row.next_attempt_at = utcnow()
        row.attempts = 0
        row.trace_context = current_trace_context()
        return row
