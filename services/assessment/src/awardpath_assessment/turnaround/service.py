"""Turnaround: work past its due time. Admins see what is overdue; the queue sweeper
escalates it: an assignment still open a grace period (`AWARDPATH_ASSESSMENT_OVERDUE_GRACE_HOURS`)
after the attempt's due time, and held at least that long, goes to another eligible assessor.
The holder's assignment ends (`escalated`, their place freed, the attempt never comes back to
them); with nobody else eligible it stays where it is and the next sweep tries again. Each
new holder gets the grace too, so overdue work moves on at most once per grace period."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from awardpath_assessment.assignment.models import Attempt
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import Malformed
from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import fetch_page

logger = logging.getLogger(__name__)

# Overdue assignments looked at per sweep (the rest in the next one).
ESCALATION_BATCH = 200
_CURSOR_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class OverdueAttempt:
    attempt: Attempt
    assessor_ids: list[str]  # who holds it open now; empty while it waits


@dataclass(frozen=True)
class OverdueAttempts:
    """A page of the attempts past their due time, and how many there are in all."""

    items: list[OverdueAttempt]
    next_cursor: str | None
    count: int
    as_of: datetime


class TurnaroundService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def overdue(self, *, limit: int, cursor: str | None, now: datetime | None = None) -> OverdueAttempts:
        """Unsettled attempts past their due time, most overdue first."""
        now = now or utcnow()
        page = await fetch_page(
            lambda after, size: self.uow.overdue.overdue_page(now, after=_position(after), limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda attempt: f"{attempt.due_at.astimezone(UTC):{_CURSOR_TIME}}/{attempt.id}",
        )
        holders = await self.uow.overdue.holders([attempt.id for attempt in page.items])
        return OverdueAttempts(
            items=[OverdueAttempt(attempt, holders[attempt.id]) for attempt in page.items],
            next_cursor=page.next_cursor,
            count=await self.uow.overdue.count_overdue(now),
            as_of=now,
        )

    async def escalate_overdue(self, now: datetime | None = None) -> int:
        """Give work overdue past the grace to other eligible assessors; returns how many
        assignments moved."""
        await self.uow.take_assignment_lock()
        now = now or utcnow()
        cutoff = now - timedelta(hours=self.settings.overdue_grace_hours)
        assignments = AssignmentService(self.uow, self.settings)
        moved = 0
        for assignment in await self.uow.overdue.to_escalate(cutoff, limit=ESCALATION_BATCH):
            holder = await assignments.escalate(assignment, now)
            if holder is None:
                # Nobody else may take it: it stays (listed as overdue) and waits behind the rest.
                assignment.escalation_checked_at = now
                continue
            logger.info("assignment %s is overdue past the grace; escalated to another assessor", assignment.id)
            moved += 1
            await assignments.assign_waiting(holder)  # the place it freed
        await self.uow.flush()
        return moved


def _position(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    due, _, attempt_id = after.partition("/")
    try:
        return datetime.strptime(due, _CURSOR_TIME).replace(tzinfo=UTC), attempt_id
    except ValueError:
        raise Malformed("invalid-cursor", "Invalid cursor", "the cursor is not one this API gave") from None
