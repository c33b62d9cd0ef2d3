"""The lease sweeper: claimed assignments whose lease ran out go back to the pool.

`sweep_expired_leases` is one pass in its own unit of work (tests call it directly);
`lease_sweeper` is the loop every process running the service's relay starts. Several
replicas may sweep at once: the assignment lock serialises them.
"""

from datetime import datetime

from awardpath_assessment.queue.service import QueueService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.runtime import ServiceRuntime


async def sweep_expired_leases(
    runtime: ServiceRuntime[AssessmentUnitOfWork, AssessmentSettings], now: datetime | None = None
) -> int:
    """Expire and reassign what is due; returns how many leases expired."""
    async with runtime.transaction() as uow:
        return await QueueService(uow, runtime.settings).expire_leases(now)


def lease_sweeper(runtime: ServiceRuntime[AssessmentUnitOfWork, AssessmentSettings]) -> PeriodicTask:
    """The sweeper loop, a background worker of the runtime (started beside the relay)."""
    return PeriodicTask(
        "assessment-lease-sweeper",
        lambda: sweep_expired_leases(runtime),
        runtime.settings.lease_sweep_interval_seconds,
    )
