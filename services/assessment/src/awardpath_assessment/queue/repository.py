from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, selectinload

from awardpath_assessment.assignment.models import OPEN_STATES, Assignment, AssignmentState, Attempt
from awardpath_shared.db import keyset_page
from awardpath_shared.validation import is_wellformed_id


class QueueRepository:
    """An assessor's assignments as they work them; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_page(self, assessor_id: str, *, after_id: str | None, limit: int) -> list[Assignment]:
        """The assessor's open assignments, oldest first (ids are time-ordered), with their
        attempts and rubrics (one statement: assessors' tools poll this)."""
        query = (
            select(Assignment)
            .join(Assignment.attempt)
            .join(Attempt.rubric)
            .where(Assignment.assessor_id == assessor_id, Assignment.state.in_(OPEN_STATES))
            .options(contains_eager(Assignment.attempt).contains_eager(Attempt.rubric))
        )
        return list(await self.session.scalars(keyset_page(query, Assignment.id, after_id, limit)))

    async def lock_oldest_unclaimed(self, assessor_id: str) -> Assignment | None:
        return await self.session.scalar(
            select(Assignment)
            .where(Assignment.assessor_id == assessor_id, Assignment.state == AssignmentState.ASSIGNED)
            .order_by(Assignment.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

    async def assignment(self, assignment_id: str, *, for_update: bool = False) -> Assignment | None:
        if not is_wellformed_id(assignment_id):
            return None
        query = (
            select(Assignment)
            .where(Assignment.id == assignment_id)
            .options(selectinload(Assignment.attempt).selectinload(Attempt.rubric))
        )
        if for_update:
            query = query.with_for_update(of=Assignment)
        return await self.session.scalar(query)

    async def earlier_attempts(self, submission_id: str, before: int) -> list[Attempt]:
        """The submission's decided attempts before `before`, oldest first, with the review
        that decided each: what the earner was shown, never a second or disagreeing review."""
        return list(
            await self.session.scalars(
                select(Attempt)
                .where(
                    Attempt.submission_id == submission_id,
                    Attempt.number < before,
                    Attempt.deciding_review_id.is_not(None),
                )
                .order_by(Attempt.number)
                .options(selectinload(Attempt.deciding_review))
            )
        )

    async def expired_leases(self, now: datetime, *, limit: int) -> list[Assignment]:
        return list(
            await self.session.scalars(
                select(Assignment)
                .where(Assignment.state == AssignmentState.CLAIMED, Assignment.lease_expires_at <= now)
                .order_by(Assignment.lease_expires_at)
                .limit(limit)
                .options(selectinload(Assignment.attempt))
            )
        )
