"""HTTP endpoints of the award service: thin over `service`, the request owns the transaction."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from awardpath_award import service
from awardpath_award.schemas import (
    DecisionRequest,
    DecisionView,
    IssuerCreate,
    IssuerView,
    MicroCredentialDefinition,
    MicroCredentialView,
)
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from awardpath_shared.validation import ID_PATTERN, PathId

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]

Admin = Annotated[Principal, Depends(require_role("admin"))]
IssuerCaller = Annotated[Principal, Depends(require_role("issuer"))]


# ---- issuers ---------------------------------------------------------------------------


@router.post("/v1/issuers", status_code=201, tags=["issuers"])
async def create_issuer(body: IssuerCreate, session: DbSession, principal: Admin) -> IssuerView:
    """Register an issuer of record. Its `id` is the subject of its issuer tokens."""
    return IssuerView.of(await service.create_issuer(session, body))


@router.get("/v1/issuers/{issuer_id}", tags=["issuers"])
async def get_issuer(issuer_id: PathId, session: DbSession) -> IssuerView:
    return IssuerView.of(await service.get_issuer(session, issuer_id))


# ---- catalog ---------------------------------------------------------------------------


@router.post("/v1/micro-credentials", status_code=201, tags=["catalog"])
async def publish_micro_credential(
    body: MicroCredentialDefinition, session: DbSession, principal: IssuerCaller
) -> MicroCredentialView:
    """Publish a micro-credential (version 1). `issuer_id` must be the caller."""
    return MicroCredentialView.of(await service.publish_micro_credential(session, principal.subject, body))


@router.post("/v1/micro-credentials/{micro_credential_id}/versions", status_code=201, tags=["catalog"])
async def publish_new_version(
    micro_credential_id: PathId, body: MicroCredentialDefinition, session: DbSession, principal: IssuerCaller
) -> MicroCredentialView:
    """Publish the next version of the caller's micro-credential; earlier versions stay readable."""
    published = await service.publish_new_version(session, principal.subject, micro_credential_id, body)
    return MicroCredentialView.of(published)


@router.get("/v1/micro-credentials", tags=["catalog"])
async def list_micro_credentials(
    session: DbSession,
    issuer_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MicroCredentialView]:
    """The catalog: the latest version of each micro-credential, rubric included."""
    items, next_cursor = await service.list_micro_credentials(session, issuer_id=issuer_id, cursor=cursor, limit=limit)
    return Page(items=[MicroCredentialView.of(item) for item in items], next_cursor=next_cursor)


@router.get("/v1/micro-credentials/{micro_credential_id}", tags=["catalog"])
async def get_micro_credential(
    micro_credential_id: PathId,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, description="A published version; the latest if absent.")] = None,
) -> MicroCredentialView:
    return MicroCredentialView.of(await service.get_micro_credential(session, micro_credential_id, version))


# ---- decisions -------------------------------------------------------------------------


@router.get("/v1/decisions", tags=["decisions"])
async def list_decisions(
    session: DbSession,
    principal: IssuerCaller,
    state: Literal["pending", "decided"] | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[DecisionView]:
    """Decisions on the caller's micro-credentials, oldest first; `state=pending` is the queue."""
    items, next_cursor = await service.list_decisions(
        session, principal.subject, state=state, cursor=cursor, limit=limit
    )
    return Page(items=[DecisionView.of(item) for item in items], next_cursor=next_cursor)


@router.get("/v1/decisions/{decision_id}", tags=["decisions"])
async def get_decision(decision_id: PathId, session: DbSession, principal: IssuerCaller) -> DecisionView:
    return DecisionView.of(await service.get_decision(session, principal.subject, decision_id))


@router.post("/v1/decisions/{decision_id}", tags=["decisions"])
async def decide(
    decision_id: PathId, body: DecisionRequest, session: DbSession, principal: IssuerCaller
) -> DecisionView:
    """Decide a pending decision: award, deny, or deny with resubmission open (if attempts
    remain; on the last attempt a deny is final and the note says so). Decided once: 409 after."""
    return DecisionView.of(await service.decide(session, principal.subject, decision_id, body))
