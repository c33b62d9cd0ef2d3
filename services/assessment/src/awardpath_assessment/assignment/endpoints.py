"""HTTP entry points of the work waiting for an assessor and of the work handed back (admins)."""

from typing import Annotated

from fastapi import Depends

from awardpath_assessment.assignment.models import Assignment
from awardpath_assessment.assignment.schemas import ReleasedAssignmentView, UnassignedPage
from awardpath_assessment.assignment.service import AssignmentService, UnassignedAttempts
from awardpath_assessment.dependencies import Admin, RequestUnitOfWork, Settings
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router

router = service_router(tags=["assessors"])


def _assignment(uow: RequestUnitOfWork, settings: Settings) -> AssignmentService:
    return AssignmentService(uow, settings)


Assignments = Annotated[AssignmentService, Depends(_assignment)]


@router.get("/v1/unassigned", response_model=UnassignedPage)
async def list_unassigned(
    admin: Admin, assignments: Assignments, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> UnassignedAttempts:
    """Attempts waiting for an eligible assessor, oldest first, with their total count."""
    return await assignments.unassigned(limit=limit, cursor=cursor)


@router.get("/v1/releases", response_model=Page[ReleasedAssignmentView])
async def list_releases(
    admin: Admin, assignments: Assignments, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[Assignment]:
    """Assignments their assessors handed back, with the reason each gave, the latest release
    first: conflicts of interest, time and expertise the pool lacks."""
    return await assignments.releases(limit=limit, cursor=cursor)
