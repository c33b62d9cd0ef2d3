"""The assessor's workspace: the queue, claiming the next item, the blind view of an
assignment with the scoring form, renewing the claim, releasing it. Everything shown comes
from the assessment API's answers to the assessor's own token: no earner identity exists
there to show."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace.api import PersonalApi, api_for, problem_detail
from awardpath.workspace.pages import page, problem_page
from awardpath.workspace.review_form import field_errors, review_body
from awardpath.workspace.sessions import check_form

router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("assessor"))]


@router.get("/assessor", response_class=HTMLResponse)
async def queue(request: Request, api: Api, notice: str | None = None) -> Response:
    answer = await api.get("assessment", "/v1/queue", limit=100)
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "Your queue could not be shown", problem_detail(answer))
    return page(request, "queue.html", items=answer.json()["items"], notice=notice)


@router.post("/assessor/claim")
async def claim(request: Request, api: Api, form_token: Annotated[str | None, Form()] = None) -> Response:
    check_form(request, form_token)
    answer = await api.post("assessment", "/v1/queue/claim")
    if answer.status_code == 204:
        return RedirectResponse("/assessor?notice=nothing-to-claim", status_code=303)
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "Nothing was claimed", problem_detail(answer))
    return RedirectResponse(f"/assessor/assignments/{answer.json()['assignment_id']}", status_code=303)


@router.get("/assessor/assignments/{assignment_id}", response_class=HTMLResponse)
async def assignment(request: Request, assignment_id: str, api: Api, notice: str | None = None) -> Response:
    answer = await api.get("assessment", f"/v1/assignments/{assignment_id}")
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "This assignment cannot be shown", problem_detail(answer))
    return _assignment_page(request, answer.json(), notice=notice)


@router.post("/assessor/assignments/{assignment_id}/renew")
async def renew(
    request: Request, assignment_id: str, api: Api, form_token: Annotated[str | None, Form()] = None
) -> Response:
    """More time: the claim starts again (the draft in the browser keeps what was typed)."""
    check_form(request, form_token)
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/renew")
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "Your claim was not renewed", problem_detail(answer))
    return RedirectResponse(f"/assessor/assignments/{assignment_id}?notice=renewed", status_code=303)


@router.post("/assessor/assignments/{assignment_id}/release")
async def release(
    request: Request, assignment_id: str, api: Api, form_token: Annotated[str | None, Form()] = None
) -> Response:
    """Hand the assignment back (a conflict recognised, no time): it goes to another assessor."""
    check_form(request, form_token)
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/release")
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "The assignment was not released", problem_detail(answer))
    return RedirectResponse("/assessor?notice=released", status_code=303)


@router.post("/assessor/assignments/{assignment_id}/review")
async def review(request: Request, assignment_id: str, api: Api) -> Response:
    """Send the scoring form as a review; a refusal comes back as the page with the entered
    values and the message beside its field (nothing was recorded)."""
    form = await request.form()
    check_form(request, str(form.get("form_token") or ""))
    shown = await api.get("assessment", f"/v1/assignments/{assignment_id}")
    if shown.status_code != 200:
        return problem_page(request, shown.status_code, "This assignment cannot be reviewed", problem_detail(shown))
    view = shown.json()
    rubric = view["rubric"]
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/review", review_body(form, rubric))
    if answer.status_code in (200, 201):
        return RedirectResponse("/assessor?notice=reviewed", status_code=303)
    if answer.status_code != 422:
        return problem_page(request, answer.status_code, "Your review was not sent", problem_detail(answer))
    values = {key: str(value) for key, value in form.items() if key != "form_token"}
    errors = field_errors(answer.json(), rubric)
    return _assignment_page(request, view, values=values, errors=errors, status_code=422)


def _assignment_page(
    request: Request,
    view: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    """The blind view (the assessment API's answer) as a page, with the scoring form."""
    files_by_section: dict[str, list[dict[str, object]]] = {}
    for file in view["files"]:
        files_by_section.setdefault(file["section_id"], []).append(file)
    evidence = {item["section_id"]: item for item in view["evidence"]}
    # Earlier feedback names sections and levels by id: shown by the rubric's names.
    names = {
        section["id"]: {"title": section["title"], **{level["id"]: level["name"] for level in section["levels"]}}
        for section in view["rubric"]
    }
    return page(
        request,
        "assignment.html",
        status_code,
        view=view,
        evidence=evidence,
        files=files_by_section,
        names=names,
        notice=notice,
        values=values or {},
        errors=errors or {},
    )
