"""HTTP entry points of the assessment service: the assessor pool (admin) and the
assessor's queue, blind view and review (assessor)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from awardpath_assessment.schemas import (
    AssessorCreate,
    AssessorOut,
    AssessorUpdate,
    BlindAssignmentView,
    CalibrationItem,
    CalibrationReviewOut,
    CalibrationSetCreate,
    CalibrationSetOut,
    ClaimOut,
    QueueItem,
    ReleaseOut,
    ReliabilityReport,
    ReviewIn,
    ReviewOut,
    ScoringPolicyIn,
    ScoringPolicyOut,
    UnassignedPage,
)
from awardpath_assessment.service import AssessmentService
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from awardpath_shared.validation import Id, PathId

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


@router.get(
    "/v1/micro-credentials/{micro_credential_id}/scoring-policy", response_model=ScoringPolicyOut, tags=["scoring"]
)
async def get_scoring_policy(micro_credential_id: PathId, admin: AdminCaller, service: Service):
    """The share of this micro-credential's attempts that is double scored."""
    return await service.get_scoring_policy(micro_credential_id)


@router.put(
    "/v1/micro-credentials/{micro_credential_id}/scoring-policy", response_model=ScoringPolicyOut, tags=["scoring"]
)
async def set_scoring_policy(micro_credential_id: PathId, body: ScoringPolicyIn, admin: AdminCaller, service: Service):
    """Set the share of attempts scored by two independent assessors (from the next
    arrival on). When their recommendations disagree a third assessor adjudicates."""
    return await service.set_scoring_policy(micro_credential_id, body)


@router.post(
    "/v1/calibration-sets",
    status_code=status.HTTP_201_CREATED,
    response_model=CalibrationSetOut,
    tags=["calibration"],
    responses={422: PROBLEM},
)
async def create_calibration_set(body: CalibrationSetCreate, admin: AdminCaller, service: Service):
    """Load example submissions with agreed levels for one micro-credential version. From
    now on an assessor newly granted the micro-credential scores these first and gets live
    work only when their exact agreement with the agreed levels meets `threshold`."""
    return await service.create_calibration_set(body)


@router.get("/v1/reports/reliability", response_model=ReliabilityReport, tags=["reports"], responses={404: PROBLEM})
async def reliability_report(admin: AdminCaller, service: Service, micro_credential_id: Annotated[Id, Query()]):
    """Counts, turnaround, pass rates, and exact / adjacent agreement and Cohen's kappa of
    section levels from double-scored work, for the micro-credential and per assessor."""
    return await service.reliability(micro_credential_id)


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


@router.post(
    "/v1/assignments/{assignment_id}/release",
    response_model=ReleaseOut,
    tags=["queue"],
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def release_assignment(assignment_id: str, assessor: AssessorCaller, service: Service):
    """Hand an open assignment back (for example a conflict you recognised): it goes to
    another assessor, never back to you."""
    return await service.release(assessor.subject, assignment_id)


@router.get("/v1/calibration", response_model=list[CalibrationItem], tags=["calibration"], responses={403: PROBLEM})
async def calibration_work(assessor: AssessorCaller, service: Service):
    """The calibration examples the caller still has to score before getting live work."""
    return await service.calibration_work(assessor.subject)


@router.post(
    "/v1/calibration/{example_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=CalibrationReviewOut,
    tags=["calibration"],
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def submit_calibration_review(example_id: str, body: ReviewIn, assessor: AssessorCaller, service: Service):
    """Score a calibration example like live work. After the last example the result says
    whether the caller is qualified."""
    return await service.submit_calibration_review(assessor.subject, example_id, body)


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
