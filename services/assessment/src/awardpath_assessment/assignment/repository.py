from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from awardpath_assessment.assignment.models import (
    OPEN_STATES,
    UNSETTLED_STATES,
    Assignment,
    AssignmentState,
    Attempt,
    AttemptState,
    Withdrawal,
)
from awardpath_assessment.pool.models import ScoringPolicy
from awardpath_assessment.review.models import Review
from awardpath_assessment.rubrics.models import Rubric
from awardpath_shared.db import keyset_page


@dataclass(frozen=True)
class Arrival:
    """What deciding about an arriving attempt needs to know, read in one query."""

    known: bool  # this attempt is stored already
    withdrawn: bool
    turnaround_business_days: int | None  # None: its micro-credential version is not here yet
    double_score_share: float | None  # None: no policy set for the micro-credential
    earlier_assessor_id: str | None  # who decided the most recent earlier attempt


class AttemptRepository:
    """Attempts and their assignments, for the assignment engine; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: Attempt | Assignment | Withdrawal) -> None:
        self.session.add(row)

    async def arrival(self, submission_id: str, number: int, micro_credential_id: str, version: int) -> Arrival:
        """Everything `AssignmentService.receive` looks up, in one round trip (it runs per
        submitted attempt, on the path every submission takes)."""
        known = exists().where(Attempt.submission_id == submission_id, Attempt.number == number)
        withdrawn = exists().where(Withdrawal.submission_id == submission_id)
        turnaround = select(Rubric.turnaround_business_days).where(
            Rubric.micro_credential_id == micro_credential_id, Rubric.version == version
        )
        share = select(ScoringPolicy.double_score_share).where(ScoringPolicy.micro_credential_id == micro_credential_id)
        row = (
            await self.session.execute(
                select(
                    known.label("known"),
                    withdrawn.label("withdrawn"),
                    turnaround.scalar_subquery().label("turnaround_business_days"),
                    share.scalar_subquery().label("double_score_share"),
                    self._earlier_decider(submission_id, number).scalar_subquery().label("earlier_assessor_id"),
                )
            )
        ).one()
        return Arrival(**row._asdict())

    async def withdrawal(self, submission_id: str) -> Withdrawal | None:
        return await self.session.get(Withdrawal, submission_id)

    async def unsettled_of(self, submission_id: str) -> list[Attempt]:
        """The submission's attempts that still need work, oldest first."""
        query = select(Attempt).where(Attempt.submission_id == submission_id, Attempt.state.in_(UNSETTLED_STATES))
        return list(await self.session.scalars(query.order_by(Attempt.number)))

    async def assignments_of(self, attempt_id: str) -> list[Assignment]:
        return list(
            await self.session.scalars(
                select(Assignment).where(Assignment.attempt_id == attempt_id).order_by(Assignment.id)
            )
        )

    @staticmethod
    def _earlier_decider(submission_id: str, before: int) -> Select[str]:
        """Who wrote the deciding review of the most recent earlier attempt, if anyone did."""
        return (
            select(Review.assessor_id)
            .join(Attempt, Attempt.deciding_review_id == Review.id)
            .where(Attempt.submission_id == submission_id, Attempt.number < before)
            .order_by(Attempt.number.desc())
            .limit(1)
        )

    async def waiting(self, micro_credential_ids: Sequence[str], *, after_id: str | None, limit: int) -> list[Attempt]:
        """Attempts still needing a review for these micro-credentials, in arrival order."""
        query = select(Attempt).where(
            Attempt.state == AttemptState.UNASSIGNED, Attempt.micro_credential_id.in_(micro_credential_ids)
        )
        return list(await self.session.scalars(keyset_page(query, Attempt.id, after_id, limit)))

    async def waiting_for(self, assessor_id: str, *, after_id: str | None, limit: int) -> list[Attempt]:
        """Waiting resubmissions whose earlier attempt this assessor decided, in arrival order."""
        query = select(Attempt).where(
            Attempt.earlier_assessor_id == assessor_id, Attempt.state == AttemptState.UNASSIGNED
        )
        return list(await self.session.scalars(keyset_page(query, Attempt.id, after_id, limit)))

    async def holds_ended(self, now: datetime, *, limit: int) -> list[Attempt]:
        """Waiting resubmissions whose hold for the earlier assessor ran out by `now`."""
        return list(
            await self.session.scalars(
                select(Attempt)
                .where(Attempt.state == AttemptState.UNASSIGNED, Attempt.held_until <= now)
                .order_by(Attempt.held_until, Attempt.id)
                .limit(limit)
            )
        )

    async def unassigned_page(self, *, after_id: str | None, limit: int) -> list[Attempt]:
        query = select(Attempt).where(Attempt.state == AttemptState.UNASSIGNED)
        return list(await self.session.scalars(keyset_page(query, Attempt.id, after_id, limit)))

    async def releases_page(self, *, before: tuple[datetime, str] | None, limit: int) -> list[Assignment]:
        """Released assignments with their attempts, the most recently released first, from
        before `before` (when released, which assignment) when given."""
        query = select(Assignment).options(selectinload(Assignment.attempt))
        query = query.where(Assignment.state == AssignmentState.RELEASED, Assignment.ended_at.is_not(None))
        if before is not None:
            released_at, assignment_id = before
            earlier = and_(Assignment.ended_at == released_at, Assignment.id < assignment_id)
            query = query.where(or_(Assignment.ended_at < released_at, earlier))
        newest_first = query.order_by(Assignment.ended_at.desc(), Assignment.id.desc())
        return list(await self.session.scalars(newest_first.limit(limit)))

    async def count_unassigned(self) -> int:
        query = select(func.count()).select_from(Attempt).where(Attempt.state == AttemptState.UNASSIGNED)
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
