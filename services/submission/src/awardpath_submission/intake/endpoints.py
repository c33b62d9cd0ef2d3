"""HTTP entry points of intake (platforms): submit, resubmit, withdraw."""

from typing import Annotated

from fastapi import Depends, Response, status

from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId
from awardpath_submission.dependencies import Platform, RequestUnitOfWork, Settings
from awardpath_submission.intake.models import Submission
from awardpath_submission.intake.schemas import (
    AttemptCreate,
    SubmissionAcceptedView,
    SubmissionCreate,
    SubmissionStatusView,
    WithdrawRequest,
)
from awardpath_submission.intake.service import IntakeService

router = service_router(tags=["submissions"])


def _intake(uow: RequestUnitOfWork, settings: Settings) -> IntakeService:
    return IntakeService(uow, settings)


Intake = Annotated[IntakeService, Depends(_intake)]


@router.post("/v1/submissions", status_code=status.HTTP_201_CREATED, response_model=SubmissionAcceptedView)
async def submit(body: SubmissionCreate, platform: Platform, intake: Intake, response: Response) -> Submission:
    """Submit an earner's evidence for a micro-credential: the earner's next attempt at it (1
    for a first submission), while no other submission of theirs for it is open."""
    submission = await intake.submit(platform.subject, body)
    response.headers["Location"] = f"/v1/submissions/{submission.id}"
    return submission


@router.post(
    "/v1/submissions/{submission_id}/attempts",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionAcceptedView,
)
async def resubmit(submission_id: PathId, body: AttemptCreate, platform: Platform, intake: Intake) -> Submission:
    """Resubmit evidence after a deny with resubmission open."""
    return await intake.resubmit(platform.subject, submission_id, body)


@router.post("/v1/submissions/{submission_id}/withdraw", response_model=SubmissionStatusView)
async def withdraw(
    submission_id: PathId, platform: Platform, intake: Intake, body: WithdrawRequest | None = None
) -> Submission:
    """Withdraw a submission that is not final (409 once awarded, denied or withdrawn): its
    assessment is dropped, a pending issuer decision cancelled; the timeline and the
    `submission.status_changed` webhook say `withdrawn`. The body (`reason`) is optional."""
    return await intake.withdraw(platform.subject, submission_id, body)
