"""HTTP entry points of calibration: sets (admins), examples to score (assessors)."""

from typing import Annotated

from fastapi import Depends, status

from awardpath_assessment.calibration.models import CalibrationExample, CalibrationSet
from awardpath_assessment.calibration.schemas import (
    CalibrationItemView,
    CalibrationProgressView,
    CalibrationSetCreate,
    CalibrationSetView,
)
from awardpath_assessment.calibration.service import CalibrationProgress, CalibrationService
from awardpath_assessment.dependencies import PROBLEM, Admin, AssessorCaller, RequestUnitOfWork, Settings
from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["calibration"])


def _calibration(uow: RequestUnitOfWork, settings: Settings) -> CalibrationService:
    return CalibrationService(uow, settings)


Calibration = Annotated[CalibrationService, Depends(_calibration)]


@router.post(
    "/v1/calibration-sets",
    status_code=status.HTTP_201_CREATED,
    response_model=CalibrationSetView,
    responses={422: PROBLEM},
)
async def create_calibration_set(body: CalibrationSetCreate, admin: Admin, calibration: Calibration) -> CalibrationSet:
    """Load example submissions with agreed levels for one micro-credential version. From
    now on an assessor newly granted the micro-credential scores these first and gets live
    work only when their exact agreement with the agreed levels meets `threshold`."""
    return await calibration.create_set(body)


@router.get("/v1/calibration", response_model=list[CalibrationItemView], responses={403: PROBLEM})
async def calibration_work(assessor: AssessorCaller, calibration: Calibration) -> list[CalibrationExample]:
    """The calibration examples the caller still has to score before getting live work."""
    return await calibration.work(assessor.subject)


@router.post(
    "/v1/calibration/{example_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=CalibrationProgressView,
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def submit_calibration_review(
    example_id: PathId, body: ReviewCreate, assessor: AssessorCaller, calibration: Calibration
) -> CalibrationProgress:
    """Score a calibration example like live work. After the last example the result says
    whether the caller is qualified."""
    return await calibration.submit(assessor.subject, example_id, body)
