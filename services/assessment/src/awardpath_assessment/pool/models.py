"""The assessor pool: assessors with their capacity, qualifications (and calibration state)
and conflicts (as keyed hashes), and the per micro-credential scoring policy.

An assessor's open-work count (`open_assignments`) changes only through `take` and
`finish`, which also move the assignment: the assignment decision reads the count instead of
counting rows.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_assessment.assignment.models import Assignment, AssignmentKind, AssignmentState, Attempt
from awardpath_assessment.database import FOREIGN_ID, HASH, OWN_ID, Base
from awardpath_shared.db import EnumText, UtcDateTime
from awardpath_shared.ids import new_id
from awardpath_shared.states import advance


class QualificationStatus(StrEnum):
    QUALIFIED = "qualified"
    CALIBRATING = "calibrating"  # scoring the calibration set first, no live work yet
    NOT_QUALIFIED = "not_qualified"  # the calibration agreement fell short of the threshold


QUALIFICATION_TRANSITIONS = {
    QualificationStatus.CALIBRATING: frozenset({QualificationStatus.QUALIFIED, QualificationStatus.NOT_QUALIFIED})
}


class Assessor(Base):
    __tablename__ = "assessors"

    id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean)
    # Open (assigned or claimed) assignments, kept by `take` and `finish`.
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
        return [q.micro_credential_id for q in self.qualifications if q.status == QualificationStatus.QUALIFIED]

    @property
    def all_conflict_hashes(self) -> frozenset[str]:
        own = {self.organization_hash} if self.organization_hash else set()
        return frozenset(own | set(self.conflict_hashes))

    @property
    def has_room(self) -> bool:
        return not self.paused and self.open_assignments < self.capacity

    def take(self, attempt: Attempt, kind: AssignmentKind, now: datetime) -> Assignment:
        """A new assignment of `attempt` to this assessor."""
        self.open_assignments += 1
        self.last_assigned_at = now
        return Assignment(
            id=new_id(),
            attempt_id=attempt.id,
            assessor_id=self.id,
            state=AssignmentState.ASSIGNED,
            kind=kind,
            assigned_at=now,
            attempt=attempt,
        )

    def finish(self, assignment: Assignment, state: AssignmentState, now: datetime) -> None:
        """One of this assessor's open assignments is reviewed or returned to the pool."""
        assert assignment.assessor_id == self.id
        assignment.close(state, now)
        self.open_assignments -= 1


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
    status: Mapped[QualificationStatus] = mapped_column(
        EnumText(QualificationStatus, 20), default=QualificationStatus.QUALIFIED, server_default="qualified"
    )
    # The set being (or that was) scored. No foreign key: SQLite cannot add one to an
    # existing table, and sets are never deleted.
    calibration_set_id: Mapped[str | None] = mapped_column(OWN_ID)
    # Exact agreement with the set's agreed levels (0..1) once the set was scored.
    calibration_agreement: Mapped[float | None] = mapped_column(Float)

    def calibrated(self, agreement: float, threshold: float) -> None:
        """The whole calibration set is scored: qualified if the agreement meets the threshold."""
        self.calibration_agreement = agreement
        passed = QualificationStatus.QUALIFIED if agreement >= threshold else QualificationStatus.NOT_QUALIFIED
        self.status = advance("qualification", self.status, passed, QUALIFICATION_TRANSITIONS)


class ScoringPolicy(Base):
    """Per micro-credential settings an admin chose (absent: the service's defaults)."""

    __tablename__ = "scoring_policies"

    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    # Share of attempts scored by two independent assessors (0..1).
    double_score_share: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
