"""HTTP entry points of a submission's progress (platforms): the submission, the list, the timeline."""

from typing import Annotated

from fastapi import Depends, Query

from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId
from awardpath_shared.vocabulary import SubmissionStatus
from awardpath_submission.dependencies import Platform, RequestUnitOfWork
from awardpath_submission.intake.models import Submission
from awardpath_submission.progress.schemas import SubmissionSummaryView, SubmissionView, TimelineView
from awardpath_submission.progress.service import ProgressService, Timeline

router = service_router(tags=["submissions"])


def _progress(uow: RequestUnitOfWork) -> ProgressService:
    return ProgressService(uow)


Progress = Annotated[ProgressService, Depends(_progress)]


@router.get("/v1/submissions", response_model=Page[SubmissionSummaryView])
async def list_submissions(
    platform: Platform,
    progress: Progress,
    earner_external_id: Annotated[str | None, Query(max_length=200)] = None,
    status: SubmissionStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paged[Submission]:
    """The calling platform's own submissions, oldest first."""
    return await progress.list_submissions(
        platform.subject, earner_external_id=earner_external_id, status=status, cursor=cursor, limit=limit
    )


@router.get("/v1/submissions/{submission_id}", response_model=SubmissionView)
async def get_submission(submission_id: PathId, platform: Platform, progress: Progress) -> Submission:
    """Status, attempts with every review's per-section levels and feedback, and the decision."""
    return await progress.get(platform.subject, submission_id)


@router.get("/v1/submissions/{submission_id}/timeline", response_model=TimelineView)
async def timeline(submission_id: PathId, platform: Platform, progress: Progress) -> Timeline:
    """Every status change of the submission, oldest first."""
    return await progress.timeline(platform.subject, submission_id)
