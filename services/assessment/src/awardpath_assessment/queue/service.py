"""The assessor's queue: their open assignments, claiming the next one under a lease,
handing one back, the blind view of what they hold, and leases that run out."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from awardpath_assessment.assignment.models import Assignment, AssignmentState, Attempt, ReleaseReason
from awardpath_assessment.assignment.service import AssignmentService
from awardpath_assessment.evidence_files.service import EvidenceFileService, FileLink
from awardpath_assessment.pool.service import PoolService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.turnaround.service import TurnaroundService
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import Conflict, Forbidden, NotFound
from awardpath_shared.ids import utcnow
from awardpath_shared.pagination import Paged, fetch_page

logger = logging.getLogger(__name__)

# Expired leases handled per sweep (the rest in the next one).
EXPIRY_BATCH = 200


@dataclass(frozen=True)
class BlindAssignment:
    """An assignment as its assessor reads it, with the feedback the earlier attempts got."""

    assignment: Assignment
    earlier_attempts: list[Attempt]
    file_links: list[FileLink]


class QueueService:
    def __init__(self, uow: AssessmentUnitOfWork, settings: AssessmentSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def open_work(self, assessor_id: str, *, limit: int, cursor: str | None) -> Paged[Assignment]:
        """The caller's open (assigned or claimed) assignments, oldest first."""
        await PoolService(self.uow, self.settings).registered(assessor_id)
        return await fetch_page(
            lambda after, size: self.uow.queue.open_page(assessor_id, after_id=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda assignment: assignment.id,
        )

    async def claim_next(self, assessor_id: str) -> Assignment | None:
        """Lease the caller's oldest unclaimed assignment; None when there is none."""
        await PoolService(self.uow, self.settings).registered(assessor_id)
        assignment = await self.uow.queue.lock_oldest_unclaimed(assessor_id)
        if assignment is None:
            return None
        assignment.claim(utcnow(), timedelta(seconds=self.settings.lease_seconds))
        await self.uow.flush()
        return assignment

    async def release(self, assessor_id: str, assignment_id: str, reason: ReleaseReason | None = None) -> Assignment:
        """The assessor hands an open assignment back (a conflict they recognised, no time):
        it goes to someone else, never back to them, and they have room for other work."""
        await self.uow.take_assignment_lock()
        assignment = await self.open_assignment(assessor_id, assignment_id)
        assignment.release_reason = reason
        assignments = AssignmentService(self.uow, self.settings)
        holder = await assignments.return_to_pool(assignment, AssignmentState.RELEASED)
        await assignments.assign_waiting(holder)
        return assignment

    async def renew(self, assessor_id: str, assignment_id: str) -> Assignment:
        """The assessor is still at it: the lease of their claimed assignment starts again."""
        assignment = await self.open_assignment(assessor_id, assignment_id)
        if not assignment.renew(utcnow(), timedelta(seconds=self.settings.lease_seconds)):
            raise Conflict(
                "lease-not-renewable",
                "Lease not renewable",
                "only a claimed assignment whose lease still runs can be renewed; claim it first",
                state=assignment.state,
            )
        await self.uow.flush()
        return assignment

    async def blind_view(self, assessor_id: str, assignment_id: str) -> BlindAssignment:
        assignment = await self.own_assignment(assessor_id, assignment_id)
        attempt = assignment.attempt
        earlier = await self.uow.queue.earlier_attempts(attempt.submission_id, attempt.number)
        return BlindAssignment(assignment, earlier, EvidenceFileService(self.uow, self.settings).links(assignment))

    async def expire_leases(self, now: datetime | None = None) -> int:
        """Return claimed assignments whose lease ran out to the pool and reassign them;
        returns how many expired. The assessor who let it lapse gets it back only if nobody
        else is eligible."""
        await self.uow.take_assignment_lock()
        expired = await self.uow.queue.expired_leases(now or utcnow(), limit=EXPIRY_BATCH)
        assignments = AssignmentService(self.uow, self.settings)
        for assignment in expired:
            logger.info("lease of assignment %s expired; returning it to the pool", assignment.id)
            holder = await assignments.return_to_pool(assignment, AssignmentState.EXPIRED)
            # The lapsed lease freed a place: waiting work (their resubmissions first) may take it.
            await assignments.assign_waiting(holder)
        return len(expired)

    async def sweep(self, now: datetime | None = None) -> int:
        """One pass of the queue's housekeeping: expired leases go back to the pool,
        resubmission holds that ran out end, work overdue past the grace is escalated.
        Returns how many things it moved."""
        now = now or utcnow()
        moved = await self.expire_leases(now)
        moved += await AssignmentService(self.uow, self.settings).end_holds(now)
        return moved + await TurnaroundService(self.uow, self.settings).escalate_overdue(now)

    async def own_assignment(self, assessor_id: str, assignment_id: str, *, for_update: bool = False) -> Assignment:
        assignment = await self.uow.queue.assignment(assignment_id, for_update=for_update)
        if assignment is None:
            raise NotFound("assignment", assignment_id)
        if assignment.assessor_id != assessor_id:
            raise Forbidden("this assignment is given to another assessor")
        return assignment

    async def open_assignment(self, assessor_id: str, assignment_id: str) -> Assignment:
        """The caller's assignment, locked, refused with a 409 unless still open."""
        assignment = await self.own_assignment(assessor_id, assignment_id, for_update=True)
        if assignment.state == AssignmentState.COMPLETED:
            raise Conflict("assignment-completed", "Assignment completed", "this assignment was reviewed already")
        if assignment.state == AssignmentState.CANCELLED:
            raise Conflict(
                "submission-withdrawn",
                "Submission withdrawn",
                "the platform withdrew this submission; its assignment needs no review",
                state=assignment.state,
            )
        if not assignment.state.is_open:
            raise Conflict(
                "assignment-returned",
                "Assignment returned to the pool",
                f"this assignment is {assignment.state} and went back to the pool; it can no longer be worked",
                state=assignment.state,
            )
        return assignment
