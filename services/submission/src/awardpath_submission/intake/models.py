"""The submission aggregate: the earner (the only copy of earner identity), the submission
with its status machine, its attempts, and the timeline of every status change."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.errors import Conflict
from awardpath_shared.events import SubmissionStatusChanged
from awardpath_shared.ids import new_id
from awardpath_shared.rubrics import SectionEvidence
from awardpath_shared.states import advance
from awardpath_shared.vocabulary import DecisionOutcome, SubmissionStatus
from awardpath_submission.catalog.models import MicroCredential
from awardpath_submission.database import Base

if TYPE_CHECKING:
    from awardpath_submission.progress.models import Review


_DECIDED = frozenset({SubmissionStatus.AWARDED, SubmissionStatus.RESUBMISSION_OPEN, SubmissionStatus.DENIED})
# The platform may withdraw in any state that is not final.
_WITHDRAWN = frozenset({SubmissionStatus.WITHDRAWN})
# The decision travels on another topic than the review and may overtake it (and the
# assignment), so an attempt may be decided from any state before its decision.
TRANSITIONS = {
    SubmissionStatus.SUBMITTED: frozenset({SubmissionStatus.IN_REVIEW, SubmissionStatus.AWAITING_DECISION})
    | _DECIDED
    | _WITHDRAWN,
    SubmissionStatus.IN_REVIEW: frozenset({SubmissionStatus.AWAITING_DECISION}) | _DECIDED | _WITHDRAWN,
    SubmissionStatus.AWAITING_DECISION: _DECIDED | _WITHDRAWN,
    SubmissionStatus.RESUBMISSION_OPEN: frozenset({SubmissionStatus.SUBMITTED}) | _WITHDRAWN,
}


@dataclass(frozen=True)
class Decision:
    outcome: DecisionOutcome
    note: str | None


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


class StatusChange(Base):
    """One entry of a submission's timeline; `sequence` numbers them 1, 2, 3... per submission."""

    __tablename__ = "status_changes"
    __table_args__ = (Index(None, "submission_id", "sequence", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[SubmissionStatus] = mapped_column(EnumText(SubmissionStatus, 30))
    attempt: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    def event(self) -> SubmissionStatusChanged:
        """What the other services are told of this change: ids and the status, no detail."""
        return SubmissionStatusChanged(
            submission_id=self.submission_id,
            status=self.status,
            attempt=self.attempt,
            sequence=self.sequence,
            changed_at=self.at,
        )


# Statuses in which a submission is open; an earner has at most one open per micro-credential.
OPEN_STATUSES = tuple(status for status in SubmissionStatus if not status.is_final)
_IS_OPEN = text("status IN ({})".format(", ".join(f"'{status.value}'" for status in OPEN_STATUSES)))


class Submission(Base):
    """An earner's submission for a micro-credential: its attempts (numbered per earner and
    micro-credential, continuing from the earner's earlier submissions) and its status."""

    __tablename__ = "submissions"
    __table_args__ = (
        # One open submission per earner and micro-credential, whoever inserts at once.
        Index(
            "ix_submissions_one_open_per_earner",
            "earner_id",
            "micro_credential_id",
            unique=True,
            postgresql_where=_IS_OPEN,
            sqlite_where=_IS_OPEN,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100), index=True)
    earner_id: Mapped[str] = mapped_column(ForeignKey("earners.id"), index=True)
    micro_credential_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[SubmissionStatus] = mapped_column(EnumText(SubmissionStatus, 30), index=True)
    current_attempt: Mapped[int] = mapped_column(Integer)
    # The sequence number of the latest timeline entry (every status change counts it up).
    status_sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    # Keyed hashes of the earner's organisation and declared conflicts, sent with every attempt.
    conflict_hashes: Mapped[list[str]] = mapped_column(JSON)
    decision_outcome: Mapped[DecisionOutcome | None] = mapped_column(EnumText(DecisionOutcome, 30))
    decision_note: Mapped[str | None] = mapped_column(Text)
    award_id: Mapped[str | None] = mapped_column(String(36))
    credential_id: Mapped[str | None] = mapped_column(String(200))
    credential_url: Mapped[str | None] = mapped_column(Text)
    credential_revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When it became final (awarded, denied, withdrawn).
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    earner: Mapped[Earner] = relationship(lazy="raise")
    # Declared so a new submission is inserted before its first timeline entry.
    status_changes: Mapped[list[StatusChange]] = relationship(lazy="raise", order_by=StatusChange.sequence)
    attempts: Mapped[list["Attempt"]] = relationship(
        lazy="raise", order_by="Attempt.number", back_populates="submission"
    )
    # The catalog entry it was submitted for (the read model has no foreign key to keep).
    micro_credential: Mapped[MicroCredential] = relationship(
        primaryjoin=lambda: foreign(Submission.micro_credential_id) == MicroCredential.id, viewonly=True, lazy="raise"
    )

    @property
    def max_attempts(self) -> int:
        return self.micro_credential.max_attempts

    @property
    def decision(self) -> "Decision | None":
        """The issuer's decision on the current attempt, once there is one."""
        return Decision(self.decision_outcome, self.decision_note) if self.decision_outcome else None

    @classmethod
    def start(
        cls,
        platform_id: str,
        earner: Earner,
        micro_credential_id: str,
        conflict_hashes: list[str],
        first_attempt: int,
        now: datetime,
    ) -> tuple["Submission", StatusChange]:
        """A new submission at `first_attempt` (the earner's next at the micro-credential),
        and its first timeline entry."""
        submission = cls(
            id=new_id(),
            platform_id=platform_id,
            earner_id=earner.id,
            micro_credential_id=micro_credential_id,
            status=SubmissionStatus.SUBMITTED,
            current_attempt=first_attempt,
            status_sequence=0,
            conflict_hashes=conflict_hashes,
            created_at=now,
            updated_at=now,
        )
        detail = "first attempt submitted" if first_attempt == 1 else f"attempt {first_attempt} submitted"
        return submission, submission._timeline_entry(detail, now)

    def move_to(self, status: SubmissionStatus, detail: str | None, now: datetime) -> StatusChange:
        """Change status; returns the timeline entry to store with the change."""
        self.status = advance("submission", self.status, status, TRANSITIONS)
        self.updated_at = now
        if status.is_final:
            self.ended_at = now
        return self._timeline_entry(detail, now)

    def _timeline_entry(self, detail: str | None, now: datetime) -> StatusChange:
        """The current status as the timeline records it, numbered next in the timeline."""
        self.status_sequence += 1
        return StatusChange(
            id=new_id(),
            submission_id=self.id,
            sequence=self.status_sequence,
            status=self.status,
            attempt=self.current_attempt,
            detail=detail,
            at=now,
        )

    def withdraw(self, reason: str | None, now: datetime) -> StatusChange:
        """The platform withdraws the submission (any state but a final one); returns the
        timeline entry. Nothing changes it afterwards."""
        if self.status.is_final:
            raise Conflict(
                "submission-closed",
                "Submission already closed",
                f"submission {self.id} is {self.status}; only a submission that is not yet "
                "awarded, denied or withdrawn can be withdrawn",
                submission_status=self.status,
            )
        detail = f"withdrawn by the platform: {reason}" if reason else "withdrawn by the platform"
        return self.move_to(SubmissionStatus.WITHDRAWN, detail, now)

    def check_final_for(self, action: str) -> None:
        if not self.status.is_final:
            raise Conflict(
                "submission-open",
                "The submission is still open",
                f"submission {self.id} is {self.status}: {action} waits until it is awarded, denied or withdrawn",
                submission_status=self.status,
            )

    def check_resubmittable(self, max_attempts: int) -> None:
        """A resubmission is accepted only while resubmission is open and attempts remain."""
        if self.status != SubmissionStatus.RESUBMISSION_OPEN:
            raise Conflict(
                "resubmission-not-open",
                "Resubmission is not open",
                f"submission {self.id} is {self.status}; a resubmission is accepted "
                "only after the issuer denied an attempt with resubmission open",
                submission_status=self.status,
            )
        if self.current_attempt >= max_attempts:
            raise Conflict(
                "attempts-exhausted", "No attempts left", f"this micro-credential allows {max_attempts} attempts"
            )

    def open_next_attempt(self, max_attempts: int, now: datetime) -> StatusChange:
        """Accept a resubmission: the next attempt; returns its timeline entry."""
        self.check_resubmittable(max_attempts)
        self.current_attempt += 1
        self.decision_outcome = None
        self.decision_note = None
        return self.move_to(SubmissionStatus.SUBMITTED, f"attempt {self.current_attempt} submitted", now)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[SectionEvidence]] = mapped_column(PydanticJson(list[SectionEvidence]))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)

    submission: Mapped[Submission] = relationship(lazy="raise", back_populates="attempts")
    reviews: Mapped[list["Review"]] = relationship(lazy="raise", order_by="Review.completed_at")
