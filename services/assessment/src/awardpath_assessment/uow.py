"""The assessment service's unit of work: its outbox, its repositories, and the assignment
lock, one transaction."""

from functools import cached_property

from awardpath_assessment.assignment.repository import AttemptRepository
from awardpath_assessment.calibration.repository import CalibrationRepository
from awardpath_assessment.database import OutboxMessage
from awardpath_assessment.pool.repository import AssessorRepository
from awardpath_assessment.queue.repository import QueueRepository
from awardpath_assessment.reports.repository import ReportRepository
from awardpath_assessment.review.repository import ReviewRepository
from awardpath_assessment.rubrics.repository import RubricRepository
from awardpath_assessment.turnaround.repository import OverdueRepository
from awardpath_shared.db import take_advisory_lock
from awardpath_shared.unit_of_work import UnitOfWork

# Key of the PostgreSQL advisory lock serialising assignment decisions (any fixed number).
ASSIGNMENT_LOCK_KEY = 4_127_001


class AssessmentUnitOfWork(UnitOfWork):
    outbox_model = OutboxMessage
    _holds_assignment_lock = False

    async def take_assignment_lock(self) -> None:
        """Make this transaction the only one deciding assignments until it ends; taking it
        again in the same transaction changes nothing.

        Capacity checks read counts and then add an assignment; two assigners at once could
        both see room. Taking this one lock first, before any row lock, also rules out
        deadlocks between assigners whose assessor pools overlap. SQLite needs nothing: its
        transactions already run one at a time."""
        if self._holds_assignment_lock:
            return
        await take_advisory_lock(self.session, ASSIGNMENT_LOCK_KEY)
        self._holds_assignment_lock = True

    @cached_property
    def rubrics(self) -> RubricRepository:
        return RubricRepository(self.session)

    @cached_property
    def assessors(self) -> AssessorRepository:
        return AssessorRepository(self.session)

    @cached_property
    def attempts(self) -> AttemptRepository:
        return AttemptRepository(self.session)

    @cached_property
    def queue(self) -> QueueRepository:
        return QueueRepository(self.session)

    @cached_property
    def reviews(self) -> ReviewRepository:
        return ReviewRepository(self.session)

    @cached_property
    def calibration(self) -> CalibrationRepository:
        return CalibrationRepository(self.session)

    @cached_property
    def reports(self) -> ReportRepository:
        return ReportRepository(self.session)

    @cached_property
    def overdue(self) -> OverdueRepository:
        return OverdueRepository(self.session)
