"""HTTP entry points of decisions: the issuer's queue and the issuer's decisions."""

from typing import Annotated

from fastapi import Depends

from awardpath_award.decisions.models import Decision, DecisionState
from awardpath_award.decisions.schemas import DecisionRequest, DecisionView
from awardpath_award.decisions.service import DecisionService
from awardpath_award.dependencies import IssuerCaller, RequestUnitOfWork
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["decisions"])


def _decisions(uow: RequestUnitOfWork) -> DecisionService:
    return DecisionService(uow)


Decisions = Annotated[DecisionService, Depends(_decisions)]


@router.get("/v1/decisions", response_model=Page[DecisionView])
async def list_decisions(
    decisions: Decisions,
    principal: IssuerCaller,
    state: DecisionState | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paged[Decision]:
    """Decisions on the caller's micro-credentials, oldest first; `state=pending` is the queue."""
    return await decisions.list_decisions(principal.subject, state=state, cursor=cursor, limit=limit)


@router.get("/v1/decisions/{decision_id}", response_model=DecisionView)
async def get_decision(decision_id: PathId, decisions: Decisions, principal: IssuerCaller) -> Decision:
    return await decisions.get(principal.subject, decision_id)


@router.post("/v1/decisions/{decision_id}", response_model=DecisionView)
async def decide(decision_id: PathId, body: DecisionRequest, decisions: Decisions, principal: IssuerCaller) -> Decision:
    """Decide a pending decision: award, deny, or deny with resubmission open (if attempts
    remain; on the last attempt a deny is final and the note says so). Decided once: 409 after."""
    return await decisions.decide(principal.subject, decision_id, body)
