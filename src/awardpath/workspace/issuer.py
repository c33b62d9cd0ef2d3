"""The issuer's workspace: the decisions waiting for the issuer of record, one decision with
the assessor's levels, feedback and private note and the attempts before it, the decision
itself, and the issuer's credentials with revocation. Everything comes from the award API's
answers to the issuer's own token: an issuer sees its own catalog only."""

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace.api import PersonalApi, api_for, problem_detail
from awardpath.workspace.pages import digest_of, page, range_asked, refusal_page, streamed_file, unchanged
from awardpath.workspace.sessions import check_form
from awardpath_shared.rubrics import RubricSection
from awardpath_shared.validation import PathId

router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("issuer"))]

# The decision form's choices, as the award API takes them.
OUTCOMES: dict[str, dict[str, Any]] = {
    "award": {"decision": "award"},
    "resubmit": {"decision": "deny", "resubmission_allowed": True},
    "deny": {"decision": "deny", "resubmission_allowed": False},
}


@router.get("/issuer", response_class=HTMLResponse)
async def decisions(request: Request, api: Api, notice: str | None = None, cursor: str | None = None) -> Response:
    answer = await api.get_page("award", "/v1/decisions", cursor, state="pending")
    if answer.status_code != 200:
        return refusal_page(request, answer, "Your decisions could not be shown")
    listed = answer.json()
    if unchanged(request, digest := digest_of(listed)):
        return Response(status_code=204)
    return page(
        request,
        "issuer/decisions.html",
        items=listed["items"],
        cursor=cursor,
        next_cursor=listed["next_cursor"],
        notice=notice,
        refresh_url="/issuer" + (f"?{urlencode({'cursor': cursor})}" if cursor else ""),
        digest=digest,
    )


@router.get("/issuer/decisions/{decision_id}", response_class=HTMLResponse)
async def decision(request: Request, decision_id: PathId, api: Api) -> Response:
    return await _decision_page(request, api, decision_id)


@router.post("/issuer/decisions/{decision_id}")
async def decide(
    request: Request,
    decision_id: PathId,
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Send the decision; a refusal comes back beside its field with the note kept."""
    check_form(request, form_token)
    values = {"outcome": outcome, "note": note}
    if outcome not in OUTCOMES:
        errors = {"outcome": "Choose award, resubmission or a final denial."}
        return await _decision_page(request, api, decision_id, values=values, errors=errors, status_code=422)
    body = {**OUTCOMES[outcome], "note": note.strip() or None}
    answer = await api.post("award", f"/v1/decisions/{decision_id}", body)
    if answer.status_code == 200:
        return RedirectResponse("/issuer?notice=decided", status_code=303)
    if answer.status_code not in (409, 422):
        return refusal_page(request, answer, "Your decision was not recorded")
    field = "note" if any("note" in finding.get("loc", []) for finding in answer.json().get("errors", [])) else "form"
    errors = {field: problem_detail(answer)}
    return await _decision_page(request, api, decision_id, values=values, errors=errors, status_code=answer.status_code)


@router.get("/issuer/decisions/{decision_id}/files/{file_id}")
async def decision_file(request: Request, decision_id: PathId, file_id: PathId, api: Api) -> Response:
    """An evidence file of the decided attempt, from the award API, for the page's players."""
    path = f"/v1/decisions/{decision_id}/files/{file_id}"
    answer = await api.stream("award", path, range_asked(request))
    return await streamed_file(request, answer)


@router.get("/issuer/credentials", response_class=HTMLResponse)
async def credentials(request: Request, api: Api, notice: str | None = None, cursor: str | None = None) -> Response:
    return await _credentials_page(request, api, notice=notice, cursor=cursor)


@router.post("/issuer/credentials/{credential_id}/revoke")
async def revoke(
    request: Request,
    credential_id: PathId,
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
    cursor: Annotated[str | None, Form()] = None,
) -> Response:
    """Revoke with the reason given; a refusal comes back beside the credential, on its page."""
    check_form(request, form_token)
    if not reason.strip():
        errors = {credential_id: "Give the reason: the earner and anyone verifying read it."}
        return await _credentials_page(request, api, cursor=cursor, errors=errors, status_code=422)
    answer = await api.post("award", f"/v1/credentials/{credential_id}/revoke", {"reason": reason.strip()})
    if answer.status_code == 200:
        shown = {"notice": "revoked", **({"cursor": cursor} if cursor else {})}
        return RedirectResponse(f"/issuer/credentials?{urlencode(shown)}", status_code=303)
    if answer.status_code not in (409, 422):
        return refusal_page(request, answer, "The credential was not revoked")
    errors = {credential_id: problem_detail(answer)}
    return await _credentials_page(request, api, cursor=cursor, errors=errors, status_code=answer.status_code)


async def _decision_page(
    request: Request,
    api: Api,
    decision_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The decision with the rubric it was scored on and the submission's earlier attempts."""
    answer = await api.get("award", f"/v1/decisions/{decision_id}")
    if answer.status_code != 200:
        return refusal_page(request, answer, "This decision cannot be shown")
    shown = answer.json()
    definition, history = await asyncio.gather(
        api.get(
            "award", f"/v1/micro-credentials/{shown['micro_credential_id']}", version=shown["micro_credential_version"]
        ),
        api.get("award", "/v1/decisions", submission_id=shown["submission_id"], limit=100),
    )
    if definition.status_code != 200 or history.status_code != 200:
        failed = definition if definition.status_code != 200 else history
        return refusal_page(request, failed, "This decision cannot be shown")
    return page(
        request,
        "issuer/decision.html",
        status_code,
        decision=shown,
        sections=_scored_sections(definition.json()["sections"], shown["sections"]),
        earlier=[item for item in history.json()["items"] if item["attempt"] < shown["attempt"]],
        values=values or {},
        errors=errors or {},
    )


def _scored_sections(rubric: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rubric section with the level given (by name), whether it passes, the feedback."""
    by_section = {result["section_id"]: result for result in results}
    scored = []
    for section in (RubricSection.model_validate(item) for item in rubric):
        result = by_section.get(section.id, {})
        level = str(result.get("level"))
        given = level in section.level_ids
        scored.append(
            {
                "section": section,
                "level": section.level_name(level) if given else None,
                "passes": given and section.passes(level),
                "feedback": result.get("feedback"),
            }
        )
    return scored


async def _credentials_page(
    request: Request,
    api: Api,
    *,
    notice: str | None = None,
    cursor: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answer = await api.get_page("award", "/v1/credentials", cursor)
    if answer.status_code != 200:
        return refusal_page(request, answer, "Your credentials could not be shown")
    listed = answer.json()
    return page(
        request,
        "issuer/credentials.html",
        status_code,
        items=listed["items"],
        cursor=cursor,
        next_cursor=listed["next_cursor"],
        notice=notice,
        errors=errors or {},
    )
