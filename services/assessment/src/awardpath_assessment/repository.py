"""Queries of the assessment tables: loading and locking, no business rules."""

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_assessment.models import (
    Assessor,
    AssessorQualification,
    Assignment,
    Attempt,
    Review,
    Rubric,
)

OPEN_STATES = ("assigned", "claimed")
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

    async def take_assignment_lock(self) -> None:
        """Make this transaction the only one deciding assignments until it ends.

        Capacity checks read counts and then add an assignment; two assigners at once could
        both see room. Taking one lock first, before any row lock, also rules out deadlocks
        between assigners whose assessor pools overlap. SQLite needs nothing: its
        transactions already run one at a time."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(ASSIGNMENT_LOCK_KEY)))

    async def qualified_assessors(self, micro_credential_id: str) -> list[Assessor]:
        """Unpaused assessors qualified for the micro-credential, with their qualifications."""
        qualified = select(AssessorQualification.assessor_id).where(
            AssessorQualification.micro_credential_id == micro_credential_id
        )
        found = await self.session.scalars(
            select(Assessor)
            .where(Assessor.id.in_(qualified), Assessor.paused.is_(False))
            .options(selectinload(Assessor.qualifications))
        )
        return list(found)

    async def open_assignment_counts(self, assessor_ids: Sequence[str]) -> dict[str, int]:
        if not assessor_ids:
            return {}
        rows = await self.session.execute(
            select(Assignment.assessor_id, func.count())
            .where(Assignment.assessor_id.in_(assessor_ids), Assignment.state.in_(OPEN_STATES))
            .group_by(Assignment.assessor_id)
        )
        counts = {assessor_id: 0 for assessor_id in assessor_ids}
        counts.update({assessor_id: count for assessor_id, count in rows})
        return counts

    async def latest_earlier_reviewer(self, submission_id: str, before: int) -> str | None:
        """Who reviewed the most recent earlier attempt of the submission, if anyone did."""
        return await self.session.scalar(
            select(Review.assessor_id)
            .join(Attempt, Attempt.id == Review.attempt_id)
            .where(Attempt.submission_id == submission_id, Attempt.number < before)
            .order_by(Attempt.number.desc(), Review.completed_at.desc())
            .limit(1)
        )

    async def waiting_attempts(
        self, micro_credential_ids: Sequence[str], *, after_id: str | None, limit: int
    ) -> list[Attempt]:
        """Unassigned attempts for these micro-credentials, in arrival order."""
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

    async def mark_attempt_assigned(self, attempt_id: str) -> bool:
        """Move the attempt from unassigned to assigned; False if another transaction did first."""
        result = await self.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.state == "unassigned")
            .values(state="assigned")
        )
        return result.rowcount == 1

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
        """Reviews of the submission's attempts before `before`, oldest attempt first."""
        rows = await self.session.execute(
            select(Attempt.number, Review)
            .join(Review, Review.attempt_id == Attempt.id)
            .where(Attempt.submission_id == submission_id, Attempt.number < before)
            .order_by(Attempt.number, Review.completed_at)
        )
        return [tuple(row) for row in rows]
