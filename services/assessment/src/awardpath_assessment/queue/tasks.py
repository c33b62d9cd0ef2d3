"""The queue sweeper: claimed assignments whose lease ran out go back to the pool,
resubmissions whose hold for the earlier assessor ran out may go to anyone, and work overdue
past the grace goes to another assessor.

`sweep_queue` is one pass in its own unit of work (tests call it directly); `queue_sweeper`
is the loop every process running the service's relay starts. Several replicas may sweep at
once: the assignment lock serialises them.
"""

from datetime import datetime

from awardpath_assessment.queue.service import QueueService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.runtime import ServiceRuntime


async def sweep_queue(
    runtime: ServiceRuntime[AssessmentUnitOfWork, AssessmentSettings], now: datetime | None = None
) -> int:
    """Do what is due; returns how many leases expired, holds ended and assignments escalated."""
    async with runtime.transaction() as uow:
        return await QueueService(uow, runtime.settings).sweep(now)


def queue_sweeper(runtime: ServiceRuntime[AssessmentUnitOfWork, AssessmentSettings]) -> PeriodicTask:
    """The sweeper loop, a background worker of the runtime (started beside the relay)."""
    return PeriodicTask(
        "assessment-queue-sweeper",
        lambda: sweep_queue(runtime),
        runtime.settings.lease_sweep_interval_seconds,
    )
