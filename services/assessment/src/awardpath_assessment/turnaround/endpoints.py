"""HTTP entry point of overdue work (admins)."""

from typing import Annotated

from fastapi import Depends

from awardpath_assessment.dependencies import Admin, RequestUnitOfWork, Settings
from awardpath_assessment.turnaround.schemas import OverduePage
from awardpath_assessment.turnaround.service import OverdueAttempts, TurnaroundService
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from awardpath_shared.routes import service_router

router = service_router(tags=["assessors"])


def _turnaround(uow: RequestUnitOfWork, settings: Settings) -> TurnaroundService:
    return TurnaroundService(uow, settings)


Turnaround = Annotated[TurnaroundService, Depends(_turnaround)]


@router.get("/v1/overdue", response_model=OverduePage)
async def list_overdue(
    admin: Admin, turnaround: Turnaround, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> OverdueAttempts:
    """Attempts past their due time and not yet settled (waiting or assigned), most overdue
    first, with who holds each. Assigned work still open a grace period after its due time
    is escalated to another eligible assessor by the sweeper."""
    return await turnaround.overdue(limit=limit, cursor=cursor)
