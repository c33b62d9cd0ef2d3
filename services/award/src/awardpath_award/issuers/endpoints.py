"""HTTP entry points of issuers (admins register them; profiles are public)."""

from typing import Annotated

from fastapi import Depends, status

from awardpath_award.dependencies import Admin, RequestUnitOfWork
from awardpath_award.issuers.models import Issuer
from awardpath_award.issuers.schemas import IssuerCreate, IssuerView
from awardpath_award.issuers.service import IssuerService
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["issuers"])


def _issuers(uow: RequestUnitOfWork) -> IssuerService:
    return IssuerService(uow)


Issuers = Annotated[IssuerService, Depends(_issuers)]


@router.post("/v1/issuers", status_code=status.HTTP_201_CREATED, response_model=IssuerView)
async def create_issuer(body: IssuerCreate, issuers: Issuers, principal: Admin) -> Issuer:
    """Register an issuer of record. Its `id` is the subject of its issuer tokens."""
    return await issuers.create(body)


@router.get("/v1/issuers", response_model=Page[IssuerView])
async def list_issuers(
    issuers: Issuers, principal: Admin, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[Issuer]:
    """Every issuer of record, oldest first (admins)."""
    return await issuers.list_issuers(cursor=cursor, limit=limit)


@router.get("/v1/issuers/{issuer_id}", response_model=IssuerView)
async def get_issuer(issuer_id: PathId, issuers: Issuers) -> Issuer:
    return await issuers.get(issuer_id)
