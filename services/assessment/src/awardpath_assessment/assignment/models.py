"""Attempts to assess and their assignments to assessors, with their state machines.

An attempt is `unassigned` while it has fewer live assignments than reviews it needs (it
waits for an eligible assessor, or, a resubmission within its hold, for the assessor of the
earlier attempt), `assigned` once every review it needs is given out, and `completed` once
its outcome is settled; or `withdrawn`, needing no more work, when the platform withdrew the
submission before that. An assignment is open (`assigned`, then `claimed` under a lease)
until it is reviewed (`completed`) or returned to the pool: its lease ran out (`expired`), the
assessor handed it back (`released`) or was paused (`withdrawn`), or the attempt was overdue
past the grace and went to another assessor (`escalated`); or until its submission was
withdrawn (`cancelled`: nobody works it again).
"""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import false

from awardpath_assessment.database import FOREIGN_ID, OWN_ID, Base
from awardpath_assessment.rubrics.models import Rubric
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.rubrics import SectionEvidence
from awardpath_shared.states import advance

if TYPE_CHECKING:
    from awardpath_assessment.review.models import Review


class AttemptState(StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @property
    def is_settled(self) -> bool:
        """Needs no more work: its outcome is settled, or its submission was withdrawn."""
        return self in (AttemptState.COMPLETED, AttemptState.WITHDRAWN)


# Attempts that still need work: waiting, or given out and not yet settled.
UNSETTLED_STATES = tuple(state for state in AttemptState if not state.is_settled)
ATTEMPT_TRANSITIONS = {
    AttemptState.UNASSIGNED: frozenset({AttemptState.ASSIGNED, AttemptState.WITHDRAWN}),
    AttemptState.ASSIGNED: frozenset({AttemptState.UNASSIGNED, AttemptState.COMPLETED, AttemptState.WITHDRAWN}),
}


class AssignmentState(StrEnum):
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    EXPIRED = "expired"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"
    ESCALATED = "escalated"  # overdue past the grace: taken back and given to another assessor
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (AssignmentState.ASSIGNED, AssignmentState.CLAIMED)

    @property
    def counts_as_review(self) -> bool:
        """Open or done: the assignments that count towards the reviews an attempt needs."""
        return self.is_open or self == AssignmentState.COMPLETED


OPEN_STATES = tuple(state for state in AssignmentState if state.is_open)
RETURNED = frozenset(
    {AssignmentState.EXPIRED, AssignmentState.RELEASED, AssignmentState.WITHDRAWN, AssignmentState.ESCALATED}
)
# Returned for good: the assessor does not get the attempt again.
FINAL_RETURNS = frozenset({AssignmentState.RELEASED, AssignmentState.ESCALATED})
ENDED = RETURNED | {AssignmentState.CANCELLED}
ASSIGNMENT_TRANSITIONS = {
    AssignmentState.ASSIGNED: frozenset({AssignmentState.CLAIMED, AssignmentState.COMPLETED}) | ENDED,
    AssignmentState.CLAIMED: frozenset({AssignmentState.COMPLETED}) | ENDED,
}


class ReleaseReason(StrEnum):
    """Why an assessor handed an assignment back: administrators read them to staff the pool."""

    CONFLICT_OF_INTEREST = "conflict_of_interest"  # they recognise the educator or their school
    NO_TIME = "no_time"
    OUTSIDE_EXPERTISE = "outside_expertise"
    OTHER = "other"


class AssignmentKind(StrEnum):
    REVIEW = "review"  # one of the independent reviews
    ADJUDICATION = "adjudication"  # the third, deciding review after two disagreed


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
        # Capacity freed at an assessor: their waiting resubmissions come first.
        Index(None, "earlier_assessor_id", "state"),
        # The sweeper ends holds that ran out; admins list overdue work.
        Index(None, "state", "held_until"),
        Index(None, "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    submission_id: Mapped[str] = mapped_column(FOREIGN_ID)
    number: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[SectionEvidence]] = mapped_column(PydanticJson(list[SectionEvidence]))
    conflict_hashes: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[AttemptState] = mapped_column(EnumText(AttemptState, 20))
    # 1, or 2 when double scored; 3 once two independent reviews disagreed (adjudication).
    reviews_needed: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    double_scored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The review whose levels and feedback were sent on (the earner sees only this one).
    deciding_review_id: Mapped[str | None] = mapped_column(OWN_ID)
    # A resubmission's: who wrote the review that decided the earlier attempt (it goes back
    # to them), and until when it waits for them while they are full (None: not held, or
    # the hold ended).
    earlier_assessor_id: Mapped[str | None] = mapped_column(FOREIGN_ID)
    held_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When its assessment is due: the turnaround target after submission (`turnaround.business_days`).
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    rubric: Mapped[Rubric] = relationship(lazy="raise", viewonly=True)
    deciding_review: Mapped["Review | None"] = relationship(
        primaryjoin="foreign(Attempt.deciding_review_id) == Review.id", viewonly=True, lazy="raise"
    )

    def is_held(self, now: datetime) -> bool:
        """Within the resubmission hold: it waits for the earlier assessor while they are full."""
        return self.held_until is not None and now < self.held_until

    def end_hold(self) -> None:
        """The hold ran out: from now on any eligible assessor may take it."""
        self.held_until = None

    def staffed(self, live_assignments: int) -> None:
        """Assigned once it has every review it needs given out, unassigned (waiting) otherwise."""
        target = AttemptState.ASSIGNED if live_assignments >= self.reviews_needed else AttemptState.UNASSIGNED
        if target != self.state:
            self.state = advance("attempt", self.state, target, ATTEMPT_TRANSITIONS)

    def needs_adjudication(self) -> None:
        """Two independent reviews disagreed: a third assessor decides."""
        self.reviews_needed = 3
        self.state = advance("attempt", self.state, AttemptState.UNASSIGNED, ATTEMPT_TRANSITIONS)

    @property
    def settled_within_target(self) -> bool:
        """Settled by its due time (the micro-credential's turnaround target)."""
        return self.completed_at is not None and self.completed_at <= self.due_at

    def settle(self, deciding_review_id: str, now: datetime) -> None:
        """The outcome is settled by this review; the attempt needs no more work."""
        self.state = advance("attempt", self.state, AttemptState.COMPLETED, ATTEMPT_TRANSITIONS)
        self.deciding_review_id = deciding_review_id
        self.completed_at = now

    def withdraw(self) -> None:
        """Its submission was withdrawn before the outcome was settled: no more work."""
        self.state = advance("attempt", self.state, AttemptState.WITHDRAWN, ATTEMPT_TRANSITIONS)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        Index(None, "assessor_id", "state"),
        # The lease sweeper looks for claimed assignments whose lease ran out.
        Index(None, "state", "lease_expires_at"),
        # Administrators read the releases, latest first.
        Index(None, "state", "ended_at", "id"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"))
    state: Mapped[AssignmentState] = mapped_column(EnumText(AssignmentState, 20))
    kind: Mapped[AssignmentKind] = mapped_column(
        EnumText(AssignmentKind, 20), default=AssignmentKind.REVIEW, server_default="review"
    )
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it stopped being open without a review (expired, released, withdrawn).
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the assessor released it, when they said (`released` only).
    release_reason: Mapped[ReleaseReason | None] = mapped_column(EnumText(ReleaseReason, 30))
    # When escalation last found nobody else to take it: checked again after the others.
    escalation_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attempt: Mapped[Attempt] = relationship(lazy="raise")

    def claim(self, now: datetime, lease: timedelta) -> None:
        self.state = advance("assignment", self.state, AssignmentState.CLAIMED, ASSIGNMENT_TRANSITIONS)
        self.claimed_at = now
        self.lease_expires_at = now + lease

    def renew(self, now: datetime, lease: timedelta) -> bool:
        """The lease of a claimed assignment starts again from now; False (nothing changed)
        when it is not claimed or its lease ran out already (the sweeper returns it)."""
        if self.state != AssignmentState.CLAIMED or self.lease_expires_at is None or self.lease_expires_at <= now:
            return False
        self.lease_expires_at = now + lease
        return True

    def close(self, state: AssignmentState, now: datetime) -> None:
        """Stop being open: reviewed (`completed`), returned to the pool or cancelled. Only
        the assessor's `finish` calls this, so their open-work count follows."""
        self.state = advance("assignment", self.state, state, ASSIGNMENT_TRANSITIONS)
        if state == AssignmentState.COMPLETED:
            # Reviewing an unclaimed assignment claims it on the way.
            self.claimed_at = self.claimed_at or now
            self.completed_at = now
        else:
            self.ended_at = now


class Withdrawal(Base):
    """A submission its platform withdrew: its attempts need no work, and one that arrives
    late (a replayed event) is not stored."""

    __tablename__ = "withdrawals"

    submission_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
