"""HTTP entry points of the assessor's queue (assessors): the queue, claiming, the blind
view, renewing a lease, releasing."""

from typing import Annotated

from fastapi import Body, Depends, Request, Response, status

from awardpath_assessment.assignment.models import Assignment
from awardpath_assessment.dependencies import PROBLEM, AssessorCaller, RequestUnitOfWork, Settings
from awardpath_assessment.evidence_files.endpoints import link_views
from awardpath_assessment.queue.schemas import (
    BlindAssignmentView,
    ClaimView,
    QueueItemView,
    ReleaseRequest,
    ReleaseView,
)
from awardpath_assessment.queue.service import QueueService
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["queue"])


def _queue(uow: RequestUnitOfWork, settings: Settings) -> QueueService:
    return QueueService(uow, settings)


Queue = Annotated[QueueService, Depends(_queue)]


@router.get("/v1/queue", response_model=Page[QueueItemView], responses={403: PROBLEM})
async def get_queue(
    assessor: AssessorCaller, queue: Queue, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[Assignment]:
    """The caller's open (assigned or claimed) assignments, oldest first."""
    return await queue.open_work(assessor.subject, limit=limit, cursor=cursor)


@router.post(
    "/v1/queue/claim",
    response_model=ClaimView,
    responses={204: {"description": "Nothing to claim"}, 403: PROBLEM},
)
async def claim_next(assessor: AssessorCaller, queue: Queue) -> Assignment | Response:
    """Lease the caller's oldest unclaimed assignment for `lease_seconds`."""
    claimed = await queue.claim_next(assessor.subject)
    return claimed if claimed is not None else Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/assignments/{assignment_id}", response_model=BlindAssignmentView, responses={403: PROBLEM, 404: PROBLEM}
)
async def get_assignment(
    assignment_id: PathId, assessor: AssessorCaller, queue: Queue, request: Request, settings: Settings
) -> BlindAssignmentView:
    """The blind view: micro-credential, rubric, attempt number, evidence with links to its
    files, and earlier feedback on this submission. No earner identity, no other assessor's
    identity, no file name."""
    blind = await queue.blind_view(assessor.subject, assignment_id)
    view = BlindAssignmentView.model_validate(blind)
    view.files = link_views(request, blind.file_links)
    view.min_feedback_chars = settings.min_feedback_chars
    return view


@router.post(
    "/v1/assignments/{assignment_id}/renew",
    response_model=ClaimView,
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def renew_lease(assignment_id: PathId, assessor: AssessorCaller, queue: Queue) -> Assignment:
    """More time on a claimed assignment: its lease starts again from now (409 once the lease
    ran out or the assignment is no longer yours to work)."""
    return await queue.renew(assessor.subject, assignment_id)


@router.post(
    "/v1/assignments/{assignment_id}/release",
    response_model=ReleaseView,
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def release_assignment(
    assignment_id: PathId, assessor: AssessorCaller, queue: Queue, body: Annotated[ReleaseRequest | None, Body()] = None
) -> Assignment:
    """Hand an open assignment back (for example a conflict you recognised), with the reason
    if you give one: it goes to another assessor, never back to you."""
    return await queue.release(assessor.subject, assignment_id, body.reason if body else None)
