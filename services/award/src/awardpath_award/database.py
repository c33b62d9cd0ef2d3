"""The award service's schema (`award`) and its messaging tables. Every other table lives
with the sub-domain that owns it; `models` names them all."""

from sqlalchemy.orm import DeclarativeBase

from awardpath_award.settings import SERVICE
from awardpath_shared.db import service_metadata
from awardpath_shared.idempotency import IdempotencyKeyMixin
from awardpath_shared.messaging.dead_letters import DeadLetterMixin
from awardpath_shared.messaging.inbox import ProcessedEventMixin
from awardpath_shared.messaging.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = service_metadata(SERVICE)


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_events"


class DeadLetter(DeadLetterMixin, Base):
    __tablename__ = "dead_letters"


class IdempotencyKey(IdempotencyKeyMixin, Base):
    __tablename__ = "idempotency_keys"
