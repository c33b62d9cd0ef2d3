"""Queries of the assessment tables: loading and locking, no business rules."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_assessment.models import (
    Assessor,
    AssessorQualification,
    Assignment,
    Attempt,
    CalibrationExample,
    CalibrationReview,
    CalibrationSet,
    Review,
    Rubric,
    ScoringPolicy,
)

OPEN_STATES = ("assigned", "claimed")
# Open or done: the assignments that count towards the reviews an attempt needs.
LIVE_STATES = (*OPEN_STATES, "completed")
# Key of the PostgreSQL advisory lock serialising assignment decisions (any fixed number).
ASSIGNMENT_LOCK_KEY = 4_127_001


class AssessmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rubric(self, micro_credential_id: str, version: int) -> Rubric | None:
        return await self.session.get(Rubric, (micro_credential_id, version))

    async def attempt(self, submission_id: str, number: int) -> Attempt | None:
        return await self.session.scalar(
            select(Attempt).where(Attempt.submission_id == submission_id, Attempt.number == number)
        )

    async def assessor(self, assessor_id: str) -> Assessor | None:
        return await self.session.scalar(
            select(Assessor).where(Assessor.id == assessor_id).options(selectinload(Assessor.qualifications))
        )

    async def scoring_policy(self, micro_credential_id: str) -> ScoringPolicy | None:
        return await self.session.get(ScoringPolicy, micro_credential_id)

    async def take_assignment_lock(self) -> None:
        """Make this transaction the only one deciding assignments until it ends.

        Capacity checks read counts and then add an assignment; two assigners at once could
        both see room. Taking one lock first, before any row lock, also rules out deadlocks
        between assigners whose assessor pools overlap. SQLite needs nothing: its
        transactions already run one at a time."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(ASSIGNMENT_LOCK_KEY)))

    # ---- assignment ------------------------------------------------------------------

    async def available_assessors(self, micro_credential_id: str, *, offset: int, limit: int) -> list[Assessor]:
        """Unpaused assessors under capacity and qualified for the micro-credential, in the
        rule's fairness order (an index scan on PostgreSQL: see `ix_assessors_fairness_order`)."""
        qualified = select(AssessorQualification.assessor_id).where(
            AssessorQualification.micro_credential_id == micro_credential_id,
            AssessorQualification.status == "qualified",
        )
        found = await self.session.scalars(
            select(Assessor)
            .where(~Assessor.paused, Assessor.open_assignments < Assessor.capacity, Assessor.id.in_(qualified))
            .order_by(Assessor.open_assignments, Assessor.last_assigned_at.asc().nulls_first(), Assessor.id)
            .offset(offset)
            .limit(limit)
        )
        return list(found)

    async def attempt_assignments(self, attempt_id: str) -> list[Assignment]:
        return list(
            await self.session.scalars(
                select(Assignment).where(Assignment.attempt_id == attempt_id).order_by(Assignment.id)
            )
        )

    async def attempt_reviews(self, attempt_id: str) -> list[Review]:
        """The attempt's reviews in the order they were completed."""
        return list(
            await self.session.scalars(
                select(Review).where(Review.attempt_id == attempt_id).order_by(Review.completed_at, Review.id)
            )
        )

    async def earlier_decider(self, submission_id: str, before: int) -> str | None:
        """Who wrote the deciding review of the most recent earlier attempt, if anyone did."""
        return await self.session.scalar(
            select(Review.assessor_id)
            .join(Attempt, Attempt.deciding_review_id == Review.id)
            .where(Attempt.submission_id == submission_id, Attempt.number < before)
            .order_by(Attempt.number.desc())
            .limit(1)
        )

    async def waiting_attempts(
        self, micro_credential_ids: Sequence[str], *, after_id: str | None, limit: int
    ) -> list[Attempt]:
        """Attempts still needing a review for these micro-credentials, in arrival order."""
        query = select(Attempt).where(
            Attempt.state == "unassigned", Attempt.micro_credential_id.in_(micro_credential_ids)
        )
        if after_id is not None:
            query = query.where(Attempt.id > after_id)
        return list(await self.session.scalars(query.order_by(Attempt.id).limit(limit)))

    async def unassigned_page(self, *, after_id: str | None, limit: int) -> list[Attempt]:
        query = select(Attempt).where(Attempt.state == "unassigned")
        if after_id is not None:
            query = query.where(Attempt.id > after_id)
        return list(await self.session.scalars(query.order_by(Attempt.id).limit(limit)))

    async def count_unassigned(self) -> int:
        query = select(func.count()).select_from(Attempt).where(Attempt.state == "unassigned")
        return await self.session.scalar(query) or 0

    async def open_assignments_of(self, assessor_id: str) -> list[Assignment]:
        return list(
            await self.session.scalars(
                select(Assignment)
                .where(Assignment.assessor_id == assessor_id, Assignment.state.in_(OPEN_STATES))
                .order_by(Assignment.id)
                .options(selectinload(Assignment.attempt))
            )
        )

    async def expired_leases(self, now: datetime, *, limit: int) -> list[Assignment]:
        return list(
            await self.session.scalars(
                select(Assignment)
                .where(Assignment.state == "claimed", Assignment.lease_expires_at <= now)
                .order_by(Assignment.lease_expires_at)
                .limit(limit)
                .options(selectinload(Assignment.attempt))
            )
        )

    # ---- the assessor's work ---------------------------------------------------------

    async def queue_page(
        self, assessor_id: str, *, after_id: str | None, limit: int
    ) -> list[tuple[Assignment, Attempt, str]]:
        """The assessor's open assignments, oldest first (ids are time-ordered), with titles."""
        query = (
            select(Assignment, Attempt, Rubric.title)
            .join(Attempt, Attempt.id == Assignment.attempt_id)
            .join(
                Rubric,
                (Rubric.micro_credential_id == Attempt.micro_credential_id)
                & (Rubric.version == Attempt.micro_credential_version),
            )
            .where(Assignment.assessor_id == assessor_id, Assignment.state.in_(OPEN_STATES))
        )
        if after_id is not None:
            query = query.where(Assignment.id > after_id)
        rows = await self.session.execute(query.order_by(Assignment.id).limit(limit))
        return [tuple(row) for row in rows]

    async def lock_oldest_unclaimed(self, assessor_id: str) -> Assignment | None:
        return await self.session.scalar(
            select(Assignment)
            .where(Assignment.assessor_id == assessor_id, Assignment.state == "assigned")
            .order_by(Assignment.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def assignment(self, assignment_id: str, *, for_update: bool = False) -> Assignment | None:
        query = (
            select(Assignment)
            .where(Assignment.id == assignment_id)
            .options(selectinload(Assignment.attempt).selectinload(Attempt.rubric))
        )
        if for_update:
            query = query.with_for_update(of=Assignment)
        return await self.session.scalar(query)

    async def earlier_reviews(self, submission_id: str, before: int) -> list[tuple[int, Review]]:
        """The deciding reviews of the submission's attempts before `before`, oldest first:
        what the earner was shown, never a second or disagreeing review."""
        rows = await self.session.execute(
            select(Attempt.number, Review)
            .join(Review, Review.id == Attempt.deciding_review_id)
            .where(Attempt.submission_id == submission_id, Attempt.number < before)
            .order_by(Attempt.number)
        )
        return [tuple(row) for row in rows]

    # ---- calibration -----------------------------------------------------------------

    async def latest_calibration_set(self, micro_credential_id: str) -> CalibrationSet | None:
        return await self.session.scalar(
            select(CalibrationSet)
            .where(CalibrationSet.micro_credential_id == micro_credential_id)
            .order_by(CalibrationSet.id.desc())
            .limit(1)
        )

    async def calibration_set(self, set_id: str) -> CalibrationSet | None:
        return await self.session.scalar(
            select(CalibrationSet)
            .where(CalibrationSet.id == set_id)
            .options(selectinload(CalibrationSet.examples), selectinload(CalibrationSet.rubric))
        )

    async def calibration_example(self, example_id: str) -> CalibrationExample | None:
        return await self.session.get(CalibrationExample, example_id)

    async def calibration_reviews(
        self, assessor_id: str, set_id: str
    ) -> list[tuple[CalibrationReview, CalibrationExample]]:
        rows = await self.session.execute(
            select(CalibrationReview, CalibrationExample)
            .join(CalibrationExample, CalibrationExample.id == CalibrationReview.example_id)
            .where(CalibrationReview.assessor_id == assessor_id, CalibrationExample.set_id == set_id)
        )
        return [tuple(row) for row in rows]

    async def forget_calibration_reviews(self, assessor_id: str, set_id: str) -> None:
        examples = select(CalibrationExample.id).where(CalibrationExample.set_id == set_id)
        await self.session.execute(
            delete(CalibrationReview).where(
                CalibrationReview.assessor_id == assessor_id, CalibrationReview.example_id.in_(examples)
            )
        )

    # ---- reporting -------------------------------------------------------------------

    async def rubrics_of(self, micro_credential_id: str) -> list[Rubric]:
        return list(await self.session.scalars(select(Rubric).where(Rubric.micro_credential_id == micro_credential_id)))

    async def attempts_of(self, micro_credential_id: str) -> list[Attempt]:
        return list(
            await self.session.scalars(select(Attempt).where(Attempt.micro_credential_id == micro_credential_id))
        )

    async def reviews_of(self, micro_credential_id: str) -> list[tuple[Review, Assignment]]:
        """Every review of the micro-credential's attempts with its assignment, in completion order."""
        rows = await self.session.execute(
            select(Review, Assignment)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Attempt, Attempt.id == Review.attempt_id)
            .where(Attempt.micro_credential_id == micro_credential_id)
            .order_by(Review.completed_at, Review.id)
        )
        return [tuple(row) for row in rows]
