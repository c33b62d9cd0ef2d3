"""HTTP entry points of the assessor pool and the scoring policy (admins)."""

from typing import Annotated

from fastapi import Depends, Response, status

from awardpath_assessment.dependencies import PROBLEM, Admin, RequestUnitOfWork, Settings
from awardpath_assessment.pool.models import Assessor
from awardpath_assessment.pool.schemas import (
    AssessorCreate,
    AssessorUpdate,
    AssessorView,
    ScoringPolicyUpdate,
    ScoringPolicyView,
)
from awardpath_assessment.pool.service import PoolService, ScoringPolicySetting
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router()


def _pool(uow: RequestUnitOfWork, settings: Settings) -> PoolService:
    return PoolService(uow, settings)


Pool = Annotated[PoolService, Depends(_pool)]


@router.post(
    "/v1/assessors",
    status_code=status.HTTP_201_CREATED,
    response_model=AssessorView,
    tags=["assessors"],
    responses={409: PROBLEM},
)
async def create_assessor(body: AssessorCreate, admin: Admin, pool: Pool, response: Response) -> Assessor:
    """Add an assessor to the pool. The organisation and conflict ids are kept only as keyed
    hashes (for conflict checks) and never shown again. Waiting attempts may be assigned."""
    assessor = await pool.create(body)
    response.headers["Location"] = f"/v1/assessors/{assessor.id}"
    return assessor


@router.get("/v1/assessors", response_model=Page[AssessorView], tags=["assessors"])
async def list_assessors(
    admin: Admin, pool: Pool, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[Assessor]:
    """The assessor pool by id: qualifications, capacity, paused, open assignments."""
    return await pool.list_assessors(cursor=cursor, limit=limit)


@router.get("/v1/assessors/{assessor_id}", response_model=AssessorView, tags=["assessors"], responses={404: PROBLEM})
async def get_assessor(assessor_id: PathId, admin: Admin, pool: Pool) -> Assessor:
    """One assessor of the pool with their open assignment count."""
    return await pool.get(assessor_id)


@router.patch("/v1/assessors/{assessor_id}", response_model=AssessorView, tags=["assessors"], responses={404: PROBLEM})
async def update_assessor(assessor_id: PathId, body: AssessorUpdate, admin: Admin, pool: Pool) -> Assessor:
    """Pause or resume an assessor, change capacity or qualifications. Unpausing or more
    capacity assigns waiting attempts."""
    return await pool.update(assessor_id, body)


@router.get(
    "/v1/micro-credentials/{micro_credential_id}/scoring-policy", response_model=ScoringPolicyView, tags=["scoring"]
)
async def get_scoring_policy(micro_credential_id: PathId, admin: Admin, pool: Pool) -> ScoringPolicySetting:
    """The share of this micro-credential's attempts that is double scored."""
    return await pool.scoring_policy(micro_credential_id)


@router.put(
    "/v1/micro-credentials/{micro_credential_id}/scoring-policy", response_model=ScoringPolicyView, tags=["scoring"]
)
async def set_scoring_policy(
    micro_credential_id: PathId, body: ScoringPolicyUpdate, admin: Admin, pool: Pool
) -> ScoringPolicySetting:
    """Set the share of attempts scored by two independent assessors (from the next
    arrival on). When their recommendations disagree a third assessor adjudicates."""
    return await pool.set_scoring_policy(micro_credential_id, body)
