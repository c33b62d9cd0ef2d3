"""HTTP entry point of reviewing live work (assessors)."""

from typing import Annotated

from fastapi import Depends, status

from awardpath_assessment.dependencies import PROBLEM, AssessorCaller, RequestUnitOfWork, Settings
from awardpath_assessment.review.models import Review
from awardpath_assessment.review.schemas import ReviewCreate, ReviewView
from awardpath_assessment.review.service import ReviewService
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["queue"])


def _reviews(uow: RequestUnitOfWork, settings: Settings) -> ReviewService:
    return ReviewService(uow, settings)


Reviews = Annotated[ReviewService, Depends(_reviews)]


@router.post(
    "/v1/assignments/{assignment_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewView,
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def submit_review(
    assignment_id: PathId, body: ReviewCreate, assessor: AssessorCaller, reviews: Reviews
) -> Review:
    """Score every rubric section with a level and growth feedback and recommend award or
    resubmission; the recommendation must agree with the levels."""
    return await reviews.submit(assessor.subject, assignment_id, body)
