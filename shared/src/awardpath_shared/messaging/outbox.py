"""Transactional outbox: events are rows committed with the state change that caused them."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime
from awardpath_shared.events import Event
from awardpath_shared.ids import new_id, utcnow


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


def record_event(session: AsyncSession, model: type[OutboxMessageMixin], event: Event) -> None:
    """Stage `event` in the caller's transaction; it is published only if that commits."""
    now = utcnow()
    session.add(
        model(
            id=new_id(),
            event_type=event.event_type(),
            topic=event.topic,
            key=event.subject(),
            payload=event.model_dump(mode="json"),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    session.info["outbox_pending"] = True


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff for redelivery, capped at five minutes."""
    return timedelta(seconds=min(300.0, 0.2 * 2 ** max(attempts - 1, 0)))
