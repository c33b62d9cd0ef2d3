"""HTTP entry points of decisions: the issuer's queue and the issuer's decisions."""

from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.responses import StreamingResponse

from awardpath_award.decisions.models import Decision, DecisionState
from awardpath_award.decisions.schemas import DecisionRequest, DecisionView
from awardpath_award.decisions.service import DecisionService
from awardpath_award.dependencies import IssuerCaller, RequestUnitOfWork, Storage
from awardpath_shared.file_responses import stored_file_response
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.storage.names import download_name, stored_key
from awardpath_shared.validation import Id, PathId

router = service_router(tags=["decisions"])


def _decisions(uow: RequestUnitOfWork) -> DecisionService:
    return DecisionService(uow)


Decisions = Annotated[DecisionService, Depends(_decisions)]


@router.get("/v1/decisions", response_model=Page[DecisionView])
async def list_decisions(
    decisions: Decisions,
    principal: IssuerCaller,
    state: DecisionState | None = None,
    submission_id: Annotated[Id | None, Query(description="One submission's decisions: its attempt history.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paged[Decision]:
    """Decisions on the caller's micro-credentials, oldest first; `state=pending` is the queue."""
    return await decisions.list_decisions(
        principal.subject, state=state, submission_id=submission_id, cursor=cursor, limit=limit
    )


@router.get("/v1/decisions/{decision_id}", response_model=DecisionView)
async def get_decision(decision_id: PathId, decisions: Decisions, principal: IssuerCaller) -> Decision:
    return await decisions.get(principal.subject, decision_id)


@router.post("/v1/decisions/{decision_id}", response_model=DecisionView)
async def decide(decision_id: PathId, body: DecisionRequest, decisions: Decisions, principal: IssuerCaller) -> Decision:
    """Decide a pending decision: award, deny, or deny with resubmission open (if attempts
    remain; on the last attempt a deny is final and the note says so). Decided once: 409 after."""
    return await decisions.decide(principal.subject, decision_id, body)


@router.get(
    "/v1/decisions/{decision_id}/files/{file_id}",
    response_class=StreamingResponse,
    responses={200: {"description": "The file"}, 206: {"description": "A range of it"}, 410: {}, 416: {}},
)
async def decision_file(
    decision_id: PathId,
    file_id: PathId,
    decisions: Decisions,
    principal: IssuerCaller,
    storage: Storage,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    """A file of the attempt's evidence (`files` of the decision), as the assessor saw it;
    Range requests welcome. 410 once it was deleted under the retention rules."""
    ref = await decisions.evidence_file(principal.subject, decision_id, file_id)
    return await stored_file_response(
        storage,
        stored_key(ref.file_id),
        media_type=ref.media_type,
        download_name=download_name(ref.file_id, ref.media_type),
        range_header=range_header,
    )
