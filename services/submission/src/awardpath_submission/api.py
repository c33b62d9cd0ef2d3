"""HTTP entry points of the submission service (platforms only)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, fetch_page
from awardpath_shared.validation import PathId, PlainText
from awardpath_submission.models import Submission
from awardpath_submission.schemas import (
    AttemptCreate,
    AttemptOut,
    DecisionOut,
    EarnerOut,
    ReviewOut,
    SubmissionAccepted,
    SubmissionCreate,
    SubmissionOut,
    SubmissionPage,
    SubmissionStatus,
    SubmissionSummary,
    Timeline,
    TimelineEntry,
)
from awardpath_submission.service import SubmissionService

router = APIRouter(prefix="/v1/submissions", tags=["submissions"])

Platform = Annotated[Principal, Depends(require_role("platform"))]


def _service(request: Request, session: DbSession) -> SubmissionService:
    return SubmissionService(session, request.app.state.runtime.settings)


Service = Annotated[SubmissionService, Depends(_service)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubmissionAccepted)
async def submit(body: SubmissionCreate, platform: Platform, service: Service, response: Response):
    """Submit an earner's evidence for a micro-credential (attempt 1)."""
    submission = await service.submit(platform.subject, body)
    response.headers["Location"] = f"/v1/submissions/{submission.id}"
    return SubmissionAccepted(id=submission.id, status=submission.status, attempt=1)


@router.get("", response_model=SubmissionPage)
async def list_submissions(
    platform: Platform,
    service: Service,
    earner_external_id: Annotated[PlainText | None, Query(max_length=200)] = None,
    status: SubmissionStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
):
    """The calling platform's own submissions, oldest first."""
    submissions, following = await fetch_page(
        lambda after, size: service.repository.list_submissions(
            platform.subject, earner_external_id=earner_external_id, status=status, after_id=after, limit=size
        ),
        cursor=cursor,
        limit=limit,
        position=lambda submission: submission.id,
    )
    return SubmissionPage(items=[_summary(submission) for submission in submissions], next_cursor=following)


@router.get("/{submission_id}", response_model=SubmissionOut)
async def get_submission(submission_id: PathId, platform: Platform, service: Service):
    """Status, attempts with every review's per-section levels and feedback, and the decision."""
    submission = await service.get(platform.subject, submission_id)
    return await _view(submission, service)


@router.post("/{submission_id}/attempts", status_code=status.HTTP_201_CREATED, response_model=SubmissionAccepted)
async def resubmit(submission_id: PathId, body: AttemptCreate, platform: Platform, service: Service):
    """Resubmit evidence after a deny with resubmission open."""
    attempt = await service.resubmit(platform.subject, submission_id, body)
    return SubmissionAccepted(id=submission_id, status="submitted", attempt=attempt.number)


@router.get("/{submission_id}/timeline", response_model=Timeline)
async def timeline(submission_id: PathId, platform: Platform, service: Service):
    """Every status change of the submission, oldest first."""
    changes = await service.timeline(platform.subject, submission_id)
    return Timeline(
        submission_id=submission_id,
        entries=[
            TimelineEntry(status=change.status, attempt=change.attempt, detail=change.detail, at=change.at)
            for change in changes
        ],
    )


def _summary(submission: Submission) -> SubmissionSummary:
    return SubmissionSummary(
        id=submission.id,
        micro_credential_id=submission.micro_credential_id,
        status=submission.status,
        attempt=submission.current_attempt,
        earner_external_id=submission.earner.external_id,
        created_at=submission.created_at,
        updated_at=submission.updated_at,
    )


async def _view(submission: Submission, service: SubmissionService) -> SubmissionOut:
    earner = submission.earner
    return SubmissionOut(
        id=submission.id,
        micro_credential_id=submission.micro_credential_id,
        status=submission.status,
        attempt=submission.current_attempt,
        max_attempts=await service.max_attempts(submission.micro_credential_id),
        earner=EarnerOut(
            external_id=earner.external_id,
            name=earner.name,
            email=earner.email,
            organization_id=earner.organization_id,
        ),
        attempts=[
            AttemptOut(
                attempt=attempt.number,
                micro_credential_version=attempt.micro_credential_version,
                submitted_at=attempt.submitted_at,
                evidence=attempt.evidence,
                reviews=[
                    ReviewOut(
                        id=review.id,
                        recommendation=review.recommendation,
                        sections=review.sections,
                        completed_at=review.completed_at,
                    )
                    for review in attempt.reviews
                ],
            )
            for attempt in submission.attempts
        ],
        decision=(
            DecisionOut(outcome=submission.decision_outcome, note=submission.decision_note)
            if submission.decision_outcome
            else None
        ),
        award_id=submission.award_id,
        credential_id=submission.credential_id,
        credential_url=submission.credential_url,
        credential_revoked_at=submission.credential_revoked_at,
        created_at=submission.created_at,
        updated_at=submission.updated_at,
    )
