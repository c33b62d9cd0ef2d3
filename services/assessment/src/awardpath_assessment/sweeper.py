"""The lease sweeper: claimed assignments whose lease ran out go back to the pool.

`sweep_expired_leases` is one pass in its own transaction (tests call it directly);
`lease_sweeper` is the loop the process running the service's relay and consumers starts.
Several replicas may sweep at once: the assignment lock serialises them.
"""

from datetime import datetime

from awardpath_assessment.service import AssessmentService
from awardpath_assessment.settings import AssessmentSettings
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.runtime import ServiceRuntime


async def sweep_expired_leases(runtime: ServiceRuntime, now: datetime | None = None) -> int:
    """Expire and reassign what is due; returns how many leases expired."""
    async with runtime.sessions() as session, session.begin():
        expired = await AssessmentService(session, runtime.settings).expire_leases(now)
    if expired:
        runtime.relay.wake()  # reassignment staged events
    return expired


def lease_sweeper(runtime: ServiceRuntime) -> PeriodicTask:
    """The sweeper loop, a background worker of the runtime (started beside the relay)."""
    settings: AssessmentSettings = runtime.settings
    return PeriodicTask(
        "assessment-lease-sweeper", lambda: sweep_expired_leases(runtime), settings.lease_sweep_interval_seconds
    )
