"""Assessment tables (schema `assessment`). Relationships never load lazily.

Blind by construction: no table has a column for earner identity; organisations and declared
conflicts exist here only as keyed hashes.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_shared.db import UtcDateTime, make_base
from awardpath_shared.messaging.inbox import ProcessedEventMixin
from awardpath_shared.messaging.outbox import OutboxMessageMixin

Base = make_base("assessment")

# Ids this service mints are uuid7 strings; ids from elsewhere (admins, other services) get room.
OWN_ID = String(36)
FOREIGN_ID = String(100)
HASH = String(64)


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_events"


class Rubric(Base):
    """Read model of one published micro-credential version (from `micro_credential.published`)."""

    __tablename__ = "rubrics"

    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    competency: Mapped[str] = mapped_column(Text)
    key_method: Mapped[str] = mapped_column(Text)
    # [{id, title, prompt, evidence, required, levels: [{id, name, description}], passing_level}]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Assessor(Base):
    __tablename__ = "assessors"

    id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean)
    organization_hash: Mapped[str | None] = mapped_column(HASH)
    # Keyed hashes of the organisations or people the assessor declared a conflict with.
    conflict_hashes: Mapped[list[str]] = mapped_column(JSON)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    qualifications: Mapped[list["AssessorQualification"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="AssessorQualification.micro_credential_id"
    )

    @property
    def micro_credential_ids(self) -> list[str]:
        return [qualification.micro_credential_id for qualification in self.qualifications]

    @property
    def all_conflict_hashes(self) -> frozenset[str]:
        own = {self.organization_hash} if self.organization_hash else set()
        return frozenset(own | set(self.conflict_hashes))


class AssessorQualification(Base):
    """The assessor may assess this micro-credential (every version of it)."""

    __tablename__ = "assessor_qualifications"

    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"), primary_key=True)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True, index=True)


class Attempt(Base):
    """One attempt of a submission, to be assessed: evidence and conflict hashes, no identity."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("submission_id", "number"),
        # An attempt is stored only once its rubric is known, and the database holds us to it.
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["rubrics.micro_credential_id", "rubrics.version"],
        ),
        Index(None, "state", "micro_credential_id"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    submission_id: Mapped[str] = mapped_column(FOREIGN_ID)
    number: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    conflict_hashes: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))  # unassigned | assigned | completed
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)

    rubric: Mapped[Rubric] = relationship(lazy="raise", viewonly=True)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (Index(None, "assessor_id", "state"),)

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"))
    state: Mapped[str] = mapped_column(String(20))  # assigned | claimed | completed
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attempt: Mapped[Attempt] = relationship(lazy="raise")


class Review(Base):
    """An assessor's scoring of one assignment: a level and feedback per section."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), unique=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"), index=True)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{section_id, level, feedback}]
    recommendation: Mapped[str] = mapped_column(String(20))  # award | resubmit
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
