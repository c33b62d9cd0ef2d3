"""Submission tables (schema `submission`). Relationships never load lazily."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_shared.db import UtcDateTime, make_base
from awardpath_shared.messaging.inbox import ProcessedEventMixin
from awardpath_shared.messaging.outbox import OutboxMessageMixin

Base = make_base("submission")


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_events"


class MicroCredential(Base):
    """Read model of the award service's catalog (from `micro_credential.published`)."""

    __tablename__ = "micro_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    max_attempts: Mapped[int] = mapped_column(Integer)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Earner(Base):
    """The earner as the platform identified them: the only copy of earner identity."""

    __tablename__ = "earners"
    __table_args__ = (UniqueConstraint("platform_id", "external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(320))
    organization_id: Mapped[str | None] = mapped_column(String(200))


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100), index=True)
    earner_id: Mapped[str] = mapped_column(ForeignKey("earners.id"), index=True)
    micro_credential_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    current_attempt: Mapped[int] = mapped_column(Integer)
    # Keyed hashes of the earner's organisation and declared conflicts, sent with every attempt.
    conflict_hashes: Mapped[list[str]] = mapped_column(JSON)
    decision_outcome: Mapped[str | None] = mapped_column(String(30))
    decision_note: Mapped[str | None] = mapped_column(Text)
    award_id: Mapped[str | None] = mapped_column(String(36))
    credential_id: Mapped[str | None] = mapped_column(String(200))
    credential_url: Mapped[str | None] = mapped_column(Text)
    credential_revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    earner: Mapped[Earner] = relationship(lazy="raise")
    attempts: Mapped[list["Attempt"]] = relationship(
        lazy="raise", order_by="Attempt.number", back_populates="submission"
    )


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    submission: Mapped[Submission] = relationship(lazy="raise", back_populates="attempts")
    reviews: Mapped[list["Review"]] = relationship(lazy="raise", order_by="Review.completed_at")


class Review(Base):
    """An assessor's scoring of one attempt, as the earner may see it (no assessor identity)."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recommendation: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatusChange(Base):
    __tablename__ = "status_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    attempt: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
