"""The issuer's catalog: their micro-credentials, and the editor that publishes one or its
next version (the definition, the decision policy, and the rubric with ordered levels),
with a preview of what assessors and educators will see before anything is published.
Versions are immutable: editing publishes version n + 1, and work under earlier versions
keeps its rubric."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace.api import PersonalApi, api_for, refused_fields
from awardpath.workspace.pages import page, refusal_page
from awardpath.workspace.rubric_form import Definition, definition_body, definition_values, section_count
from awardpath.workspace.sessions import check_form, form_values, signed_in
from awardpath_shared.validation import PathId
from awardpath_shared.vocabulary import DEFAULT_TURNAROUND_BUSINESS_DAYS

router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("issuer"))]
# A new micro-credential's form starts from these.
NEW = {
    "max_attempts": "3",
    "decision_policy": "manual",
    "turnaround_business_days": str(DEFAULT_TURNAROUND_BUSINESS_DAYS),
}


@router.get("/issuer/micro-credentials", response_class=HTMLResponse)
async def micro_credentials(
    request: Request, api: Api, notice: str | None = None, cursor: str | None = None
) -> Response:
    answer = await api.get_page("award", "/v1/micro-credentials", cursor, issuer_id=signed_in(request).subject)
    if answer.status_code != 200:
        return refusal_page(request, answer, "Your catalog could not be shown")
    listed = answer.json()
    return page(
        request,
        "issuer/micro_credentials.html",
        items=listed["items"],
        next_cursor=listed["next_cursor"],
        notice=notice,
    )


@router.get("/issuer/micro-credentials/new", response_class=HTMLResponse)
async def new(request: Request, api: Api) -> Response:
    return _editor(request, None, NEW)


@router.get("/issuer/micro-credentials/{micro_credential_id}", response_class=HTMLResponse)
async def edit(request: Request, micro_credential_id: PathId, api: Api) -> Response:
    answer = await api.get("award", f"/v1/micro-credentials/{micro_credential_id}")
    if answer.status_code != 200:
        return refusal_page(request, answer, "This micro-credential cannot be shown")
    return _editor(request, answer.json(), definition_values(answer.json()))


@router.post("/issuer/micro-credentials/editor")
async def preview_or_publish(request: Request, api: Api) -> Response:
    """`action=preview` shows the form with what assessors and educators will see;
    `action=publish` publishes. A refusal comes back beside its field, nothing published."""
    form = await request.form()
    check_form(request, str(form.get("form_token") or ""))
    values = form_values(form)
    editing = values.pop("micro_credential_id", "")
    action = values.pop("action", "preview")
    current = None
    if editing:
        answer = await api.get("award", f"/v1/micro-credentials/{editing}")
        if answer.status_code != 200:
            return refusal_page(request, answer, "This micro-credential cannot be edited")
        current = answer.json()
    definition = definition_body(values, signed_in(request).subject)
    if definition.errors or action != "publish":
        status_code = 422 if definition.errors else 200
        return _editor(request, current, values, definition=definition, status_code=status_code)
    path = f"/v1/micro-credentials/{editing}/versions" if editing else "/v1/micro-credentials"
    answer = await api.post("award", path, definition.body)
    if answer.status_code == 201:
        return RedirectResponse("/issuer/micro-credentials?notice=published", status_code=303)
    if answer.status_code != 422:
        return refusal_page(request, answer, "Nothing was published")
    definition.errors = refused_fields(answer, definition.field_of)
    return _editor(request, current, values, definition=definition, status_code=422)


def _editor(
    request: Request,
    current: dict[str, Any] | None,
    values: dict[str, str],
    *,
    definition: Definition | None = None,
    status_code: int = 200,
) -> Response:
    """The form, one spare section slot beyond those filled, and the preview once read."""
    errors = definition.errors if definition else {}
    preview = definition.body if definition and not errors else None
    return page(
        request,
        "issuer/editor.html",
        status_code,
        current=current,
        values=values,
        slots=section_count(values) + 1,
        errors=errors,
        preview=preview,
    )
