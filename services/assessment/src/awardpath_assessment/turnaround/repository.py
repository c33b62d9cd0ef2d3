from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from awardpath_assessment.assignment.models import OPEN_STATES, UNSETTLED_STATES, Assignment, Attempt, AttemptState


class OverdueRepository:
    """Work past its due time, for admins and the escalation sweep; no rules."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def overdue_page(self, now: datetime, *, after: tuple[datetime, str] | None, limit: int) -> list[Attempt]:
        """Unsettled attempts due by `now`, most overdue first (then in arrival order)."""
        query = select(Attempt).where(Attempt.state.in_(UNSETTLED_STATES), Attempt.due_at <= now)
        if after is not None:
            due, attempt_id = after
            query = query.where(or_(Attempt.due_at > due, and_(Attempt.due_at == due, Attempt.id > attempt_id)))
        return list(await self.session.scalars(query.order_by(Attempt.due_at, Attempt.id).limit(limit)))

    async def count_overdue(self, now: datetime) -> int:
        query = (
            select(func.count()).select_from(Attempt).where(Attempt.state.in_(UNSETTLED_STATES), Attempt.due_at <= now)
        )
        return await self.session.scalar(query) or 0

    async def holders(self, attempt_ids: Sequence[str]) -> dict[str, list[str]]:
        """Who holds each attempt open now (assessor ids, in assignment order)."""
        rows = await self.session.execute(
            select(Assignment.attempt_id, Assignment.assessor_id)
            .where(Assignment.attempt_id.in_(attempt_ids), Assignment.state.in_(OPEN_STATES))
            .order_by(Assignment.id)
        )
        found: dict[str, list[str]] = {attempt_id: [] for attempt_id in attempt_ids}
        for attempt_id, assessor_id in rows:
            found[attempt_id].append(assessor_id)
        return found

    async def to_escalate(self, cutoff: datetime, *, limit: int) -> list[Assignment]:
        """Open assignments of attempts due by `cutoff` that their assessor has held since
        `cutoff` or longer, with their attempts: never checked first, most overdue first, so
        work nobody else may take yet goes behind the rest and every sweep gets further."""
        return list(
            await self.session.scalars(
                select(Assignment)
                .join(Assignment.attempt)
                .where(
                    Attempt.state == AttemptState.ASSIGNED,
                    Attempt.due_at <= cutoff,
                    Assignment.state.in_(OPEN_STATES),
                    Assignment.assigned_at <= cutoff,
                )
                .order_by(Assignment.escalation_checked_at.asc().nulls_first(), Attempt.due_at, Assignment.id)
                .limit(limit)
                .options(contains_eager(Assignment.attempt))
            )
        )
