"""Assessment tables (schema `assessment`). Relationships never load lazily.

Blind by construction: no table has a column for earner identity; organisations and declared
conflicts exist here only as keyed hashes.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import false

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
    # Open (assigned or claimed) assignments, kept here by every transition so the
    # assignment decision never counts assignment rows.
    open_assignments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
        """Every micro-credential granted, qualified yet or still calibrating."""
        return [qualification.micro_credential_id for qualification in self.qualifications]

    @property
    def qualified_micro_credential_ids(self) -> list[str]:
        """The micro-credentials the assessor may get live work for."""
        return [q.micro_credential_id for q in self.qualifications if q.status == "qualified"]

    @property
    def all_conflict_hashes(self) -> frozenset[str]:
        own = {self.organization_hash} if self.organization_hash else set()
        return frozenset(own | set(self.conflict_hashes))


# The assignment query walks available assessors in the rule's fairness order and stops at
# the first eligible one, so it reads a handful of index entries whatever the pool size.
# PostgreSQL sorts NULLs (never assigned) last unless told; SQLite sorts them first and
# cannot say NULLS FIRST in an index, hence one index per dialect.
Index(
    "ix_assessors_fairness_order",
    Assessor.open_assignments,
    Assessor.last_assigned_at.asc().nulls_first(),
    Assessor.id,
    postgresql_where=~Assessor.paused & (Assessor.open_assignments < Assessor.capacity),
).ddl_if(dialect="postgresql")
Index("ix_assessors_fairness_order_sqlite", Assessor.open_assignments, Assessor.last_assigned_at, Assessor.id).ddl_if(
    dialect="sqlite"
)


class AssessorQualification(Base):
    """The assessor is granted this micro-credential (every version of it). Live work comes
    only once `qualified`: when the micro-credential has a calibration set, a new grant is
    `calibrating` until the assessor scored the set, then `qualified` or `not_qualified`."""

    __tablename__ = "assessor_qualifications"
    __table_args__ = (Index(None, "micro_credential_id", "status"),)

    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"), primary_key=True)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="qualified", server_default="qualified")
    # The set being (or that was) scored. No foreign key: SQLite cannot add one to an
    # existing table, and sets are never deleted.
    calibration_set_id: Mapped[str | None] = mapped_column(OWN_ID)
    # Exact agreement with the set's agreed levels (0..1) once the set was scored.
    calibration_agreement: Mapped[float | None] = mapped_column(Float)


class ScoringPolicy(Base):
    """Per micro-credential settings an admin chose (absent: the service's defaults)."""

    __tablename__ = "scoring_policies"

    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    # Share of attempts scored by two independent assessors (0..1).
    double_score_share: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CalibrationSet(Base):
    """Example submissions with agreed levels; the newest set of a micro-credential is the
    one new assessors score before they get live work for it."""

    __tablename__ = "calibration_sets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["rubrics.micro_credential_id", "rubrics.version"],
        ),
        Index(None, "micro_credential_id", "id"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    # Share of section levels an assessor must match exactly to be qualified (0..1).
    threshold: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    rubric: Mapped[Rubric] = relationship(lazy="raise", viewonly=True)
    examples: Mapped[list["CalibrationExample"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CalibrationExample.position"
    )


class CalibrationExample(Base):
    __tablename__ = "calibration_examples"

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("calibration_sets.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{section_id, text, artifacts}]
    agreed_levels: Mapped[dict[str, str]] = mapped_column(JSON)  # {section_id: level}


class CalibrationReview(Base):
    """An assessor's scoring of one calibration example (never live work, never sent)."""

    __tablename__ = "calibration_reviews"
    __table_args__ = (UniqueConstraint("assessor_id", "example_id"),)

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"))
    example_id: Mapped[str] = mapped_column(ForeignKey("calibration_examples.id"), index=True)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{section_id, level, feedback}]
    recommendation: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)


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
    # unassigned: fewer live assignments than reviews needed (it waits for an assessor);
    # assigned: every review it needs is given out; completed: its outcome is settled.
    state: Mapped[str] = mapped_column(String(20))
    # 1, or 2 when double scored; 3 once two independent reviews disagreed (adjudication).
    reviews_needed: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    double_scored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The review whose levels and feedback were sent on (the earner sees only this one).
    deciding_review_id: Mapped[str | None] = mapped_column(OWN_ID)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    rubric: Mapped[Rubric] = relationship(lazy="raise", viewonly=True)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        Index(None, "assessor_id", "state"),
        # The lease sweeper looks for claimed assignments whose lease ran out.
        Index(None, "state", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"))
    # Open: assigned | claimed. Done: completed. Returned to the pool: expired (the lease
    # ran out), released (by the assessor), withdrawn (the assessor was paused).
    state: Mapped[str] = mapped_column(String(20))
    # review: one of the independent reviews; adjudication: the third, deciding review.
    kind: Mapped[str] = mapped_column(String(20), default="review", server_default="review")
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it stopped being open without a review (expired, released, withdrawn).
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

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
    # Private note for the issuer of record; sent only on the deciding review, never shown
    # to the earner.
    note_to_issuer: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
