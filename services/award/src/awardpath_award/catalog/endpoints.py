"""HTTP entry points of the catalog: issuers publish, anyone reads."""

from typing import Annotated

from fastapi import Depends, Query, status

from awardpath_award.catalog.models import MicroCredentialVersion
from awardpath_award.catalog.schemas import MicroCredentialCreate, MicroCredentialView
from awardpath_award.catalog.service import CatalogService
from awardpath_award.dependencies import IssuerCaller, RequestUnitOfWork
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import ID_PATTERN, PathId, VersionQuery

router = service_router(tags=["catalog"])


def _catalog(uow: RequestUnitOfWork) -> CatalogService:
    return CatalogService(uow)


Catalog = Annotated[CatalogService, Depends(_catalog)]


@router.post("/v1/micro-credentials", status_code=status.HTTP_201_CREATED, response_model=MicroCredentialView)
async def publish_micro_credential(
    body: MicroCredentialCreate, catalog: Catalog, principal: IssuerCaller
) -> MicroCredentialVersion:
    """Publish a micro-credential (version 1). `issuer_id` must be the caller."""
    return await catalog.publish(principal.subject, body)


@router.post(
    "/v1/micro-credentials/{micro_credential_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=MicroCredentialView,
)
async def publish_new_version(
    micro_credential_id: PathId, body: MicroCredentialCreate, catalog: Catalog, principal: IssuerCaller
) -> MicroCredentialVersion:
    """Publish the next version of the caller's micro-credential; earlier versions stay readable."""
    return await catalog.publish_version(principal.subject, micro_credential_id, body)


@router.get("/v1/micro-credentials", response_model=Page[MicroCredentialView])
async def list_micro_credentials(
    catalog: Catalog,
    issuer_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paged[MicroCredentialVersion]:
    """The catalog: the latest version of each micro-credential, rubric included."""
    return await catalog.list_latest(issuer_id=issuer_id, cursor=cursor, limit=limit)


@router.get("/v1/micro-credentials/{micro_credential_id}", response_model=MicroCredentialView)
async def get_micro_credential(
    micro_credential_id: PathId,
    catalog: Catalog,
    version: VersionQuery = None,
) -> MicroCredentialVersion:
    return await catalog.get(micro_credential_id, version)
