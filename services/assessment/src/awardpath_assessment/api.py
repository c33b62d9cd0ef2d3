"""HTTP entry points of the assessment service: the assessor pool (admin) and the
assessor's queue, blind view and review (assessor)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from awardpath_assessment.schemas import (
    AssessorCreate,
    AssessorOut,
    AssessorUpdate,
    BlindAssignmentView,
    ClaimOut,
    QueueItem,
    ReviewIn,
    ReviewOut,
    UnassignedPage,
)
from awardpath_assessment.service import AssessmentService
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter()

AdminCaller = Annotated[Principal, Depends(require_role("admin"))]
AssessorCaller = Annotated[Principal, Depends(require_role("assessor"))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]

PROBLEM = {"description": "Problem details", "content": {"application/problem+json": {}}}


def _service(request: Request, session: DbSession) -> AssessmentService:
    return AssessmentService(session, request.app.state.runtime.settings)


Service = Annotated[AssessmentService, Depends(_service)]


# ---- the assessor pool (admin) ---------------------------------------------------------


@router.post(
    "/v1/assessors",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessorOut,
    tags=["assessors"],
    responses={409: PROBLEM},
)
async def create_assessor(body: AssessorCreate, admin: AdminCaller, service: Service, response: Response):
    """Add an assessor to the pool. The organisation and conflict ids are kept only as keyed
    hashes (for conflict checks) and never shown again. Waiting attempts may be assigned."""
    assessor = await service.create_assessor(body)
    response.headers["Location"] = f"/v1/assessors/{assessor.id}"
    return assessor


@router.get("/v1/assessors/{assessor_id}", response_model=AssessorOut, tags=["assessors"], responses={404: PROBLEM})
async def get_assessor(assessor_id: str, admin: AdminCaller, service: Service):
    """One assessor of the pool with their open assignment count."""
    return await service.get_assessor(assessor_id)


@router.patch("/v1/assessors/{assessor_id}", response_model=AssessorOut, tags=["assessors"], responses={404: PROBLEM})
async def update_assessor(assessor_id: str, body: AssessorUpdate, admin: AdminCaller, service: Service):
    """Pause or resume an assessor, change capacity or qualifications. Unpausing or more
    capacity assigns waiting attempts."""
    return await service.update_assessor(assessor_id, body)


@router.get("/v1/unassigned", response_model=UnassignedPage, tags=["assessors"])
async def list_unassigned(admin: AdminCaller, service: Service, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """Attempts waiting for an eligible assessor, oldest first, with their total count."""
    return await service.list_unassigned(limit=limit, cursor=cursor)


# ---- the assessor's work ---------------------------------------------------------------


@router.get("/v1/queue", response_model=Page[QueueItem], tags=["queue"], responses={403: PROBLEM})
async def get_queue(assessor: AssessorCaller, service: Service, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None):
    """The caller's open (assigned or claimed) assignments, oldest first."""
    return await service.queue(assessor.subject, limit=limit, cursor=cursor)


@router.post(
    "/v1/queue/claim",
    response_model=ClaimOut,
    tags=["queue"],
    responses={204: {"description": "Nothing to claim"}, 403: PROBLEM},
)
async def claim_next(assessor: AssessorCaller, service: Service):
    """Lease the caller's oldest unclaimed assignment for `lease_seconds`."""
    claimed = await service.claim_next(assessor.subject)
    if claimed is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return claimed


@router.get(
    "/v1/assignments/{assignment_id}",
    response_model=BlindAssignmentView,
    tags=["queue"],
    responses={403: PROBLEM, 404: PROBLEM},
)
async def get_assignment(assignment_id: str, assessor: AssessorCaller, service: Service):
    """The blind view: micro-credential, rubric, attempt number, evidence and earlier
    feedback on this submission. No earner identity, no other assessor's identity."""
    return await service.blind_view(assessor.subject, assignment_id)


@router.post(
    "/v1/assignments/{assignment_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewOut,
    tags=["queue"],
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def submit_review(assignment_id: str, body: ReviewIn, assessor: AssessorCaller, service: Service):
    """Score every rubric section with a level and growth feedback and recommend award or
    resubmission; the recommendation must agree with the levels."""
    return await service.submit_review(assessor.subject, assignment_id, body)
