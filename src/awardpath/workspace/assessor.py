"""The assessor's workspace: the queue, claiming the next item, the blind view of an
assignment with the scoring form, renewing the claim, releasing it. Everything shown comes
from the assessment API's answers to the assessor's own token: no earner identity exists
there to show."""

import asyncio
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace.api import PersonalApi, api_for
from awardpath.workspace.pages import (
    digest_of,
    page,
    problem_page,
    range_asked,
    refusal_page,
    streamed_file,
    unchanged,
)
from awardpath.workspace.review_form import field_errors, review_body
from awardpath.workspace.sessions import check_form, form_values
from awardpath_shared.rubrics import RubricSection
from awardpath_shared.validation import PathId

router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("assessor"))]


@router.get("/assessor", response_class=HTMLResponse)
async def queue(request: Request, api: Api, notice: str | None = None) -> Response:
    answer, calibration = await asyncio.gather(
        api.get("assessment", "/v1/queue", limit=100), api.get("assessment", "/v1/calibration")
    )
    if answer.status_code != 200:
        return refusal_page(request, answer, "Your queue could not be shown")
    items = answer.json()["items"]
    if unchanged(request, digest := digest_of(items)):
        return Response(status_code=204)
    examples = calibration.json() if calibration.status_code == 200 else []
    return page(
        request,
        "queue.html",
        items=items,
        calibration=examples,
        notice=notice,
        refresh_url="/assessor",
        digest=digest,
    )


@router.get("/assessor/calibration/{example_id}", response_class=HTMLResponse)
async def calibration_example(request: Request, example_id: PathId, api: Api) -> Response:
    example = await _calibration_example(api, example_id)
    if example is None:
        return problem_page(request, 404, "This example is not waiting for you", "It was scored already.")
    return _calibration_page(request, example)


@router.post("/assessor/calibration/{example_id}")
async def score_calibration_example(request: Request, example_id: PathId, api: Api) -> Response:
    """Score an example like live work; the answer shows the agreed levels beside yours."""
    form = await request.form()
    check_form(request, str(form.get("form_token") or ""))
    example = await _calibration_example(api, example_id)
    if example is None:
        return problem_page(request, 404, "This example is not waiting for you", "It was scored already.")
    body = review_body(form, example["rubric"])
    answer = await api.post("assessment", f"/v1/calibration/{example_id}/review", body)
    if answer.status_code == 201:
        scored = {section["section_id"]: section["level"] for section in body["sections"]}
        return page(
            request,
            "calibration_result.html",
            example=example,
            scored=scored,
            sections=_sections(example["rubric"]),
            progress=answer.json(),
        )
    if answer.status_code != 422:
        return refusal_page(request, answer, "Your scores were not sent")
    values = form_values(form)
    errors = field_errors(answer.json(), example["rubric"])
    return _calibration_page(request, example, values=values, errors=errors, status_code=422)


@router.post("/assessor/claim")
async def claim(request: Request, api: Api, form_token: Annotated[str | None, Form()] = None) -> Response:
    check_form(request, form_token)
    answer = await api.post("assessment", "/v1/queue/claim")
    if answer.status_code == 204:
        return RedirectResponse("/assessor?notice=nothing-to-claim", status_code=303)
    if answer.status_code != 200:
        return refusal_page(request, answer, "Nothing was claimed")
    return RedirectResponse(f"/assessor/assignments/{answer.json()['assignment_id']}", status_code=303)


@router.get("/assessor/assignments/{assignment_id}", response_class=HTMLResponse)
async def assignment(request: Request, assignment_id: PathId, api: Api, notice: str | None = None) -> Response:
    answer = await api.get("assessment", f"/v1/assignments/{assignment_id}")
    if answer.status_code != 200:
        return refusal_page(request, answer, "This assignment cannot be shown")
    return _assignment_page(request, answer.json(), notice=notice)


@router.get("/assessor/assignments/{assignment_id}/files/{file_id}")
async def assignment_file(
    request: Request, assignment_id: PathId, file_id: PathId, api: Api, link: str = ""
) -> Response:
    """An evidence file by the blind view's signed link, from the assessment API."""
    if not link:
        return problem_page(request, 404, "This file cannot be shown", "Open it from the submission's page.")
    answer = await api.stream("assessment", f"/v1/evidence-files/{file_id}", range_asked(request), link=link)
    return await streamed_file(request, answer)


@router.post("/assessor/assignments/{assignment_id}/renew")
async def renew(
    request: Request, assignment_id: PathId, api: Api, form_token: Annotated[str | None, Form()] = None
) -> Response:
    """More time: the claim starts again (the draft in the browser keeps what was typed)."""
    check_form(request, form_token)
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/renew")
    if answer.status_code != 200:
        return refusal_page(request, answer, "Your claim was not renewed")
    return RedirectResponse(f"/assessor/assignments/{assignment_id}?notice=renewed", status_code=303)


@router.post("/assessor/assignments/{assignment_id}/release")
async def release(
    request: Request,
    assignment_id: PathId,
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form()] = None,
) -> Response:
    """Hand the assignment back with the reason pressed: it goes to another assessor."""
    check_form(request, form_token)
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/release", {"reason": reason})
    if answer.status_code != 200:
        return refusal_page(request, answer, "The assignment was not released")
    return RedirectResponse("/assessor?notice=released", status_code=303)


@router.post("/assessor/assignments/{assignment_id}/review")
async def review(request: Request, assignment_id: PathId, api: Api) -> Response:
    """Send the scoring form as a review; a refusal comes back as the page with the entered
    values and the message beside its field (nothing was recorded)."""
    form = await request.form()
    check_form(request, str(form.get("form_token") or ""))
    shown = await api.get("assessment", f"/v1/assignments/{assignment_id}")
    if shown.status_code != 200:
        return refusal_page(request, shown, "This assignment cannot be reviewed")
    view = shown.json()
    rubric = view["rubric"]
    answer = await api.post("assessment", f"/v1/assignments/{assignment_id}/review", review_body(form, rubric))
    if answer.status_code in (200, 201):
        return RedirectResponse("/assessor?notice=reviewed", status_code=303)
    if answer.status_code != 422:
        return refusal_page(request, answer, "Your review was not sent")
    values = form_values(form)
    errors = field_errors(answer.json(), rubric)
    return _assignment_page(request, view, values=values, errors=errors, status_code=422)


async def _calibration_example(api: PersonalApi, example_id: str) -> dict[str, Any] | None:
    """One of the caller's calibration examples still to score (the API lists them all)."""
    answer = await api.get("assessment", "/v1/calibration")
    examples = answer.json() if answer.status_code == 200 else []
    return next((example for example in examples if example["example_id"] == example_id), None)


def _calibration_page(
    request: Request,
    example: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    example_id = example["example_id"]
    return page(
        request,
        "calibration.html",
        status_code,
        example=example,
        evidence={item["section_id"]: item for item in example["evidence"]},
        files={},
        scoring={
            "action": f"/assessor/calibration/{example_id}",
            "draft": f"calibration-{example_id}",
            "rubric": _sections(example["rubric"]),
            "min_feedback_chars": 0,
            "note": False,
            "send": "Send my scores",
        },
        values=values or {},
        errors=errors or {},
    )


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
        files_by_section.setdefault(file["section_id"], []).append({**file, "url": _file_path(view, file)})
    evidence = {item["section_id"]: item for item in view["evidence"]}
    return page(
        request,
        "assignment.html",
        status_code,
        view=view,
        evidence=evidence,
        files=files_by_section,
        sections={section.id: section for section in _sections(view["rubric"])},
        scoring={
            "action": f"/assessor/assignments/{view['assignment_id']}/review",
            "draft": view["assignment_id"],
            "rubric": _sections(view["rubric"]),
            "min_feedback_chars": view["min_feedback_chars"],
            "note": True,
            "send": "Send my review",
        },
        notice=notice,
        values=values or {},
        errors=errors or {},
    )


def _file_path(view: dict[str, Any], file: dict[str, Any]) -> str:
    """The workspace's own path to a file: the signed link the API gave names the service's
    address, which the browser may not reach."""
    (link,) = parse_qs(urlsplit(file["url"]).query)["link"]
    query = urlencode({"link": link})
    return f"/assessor/assignments/{view['assignment_id']}/files/{file['file_id']}?{query}"


def _sections(rubric: list[dict[str, Any]]) -> list[RubricSection]:
    """The API's rubric as the shared model, which names each level and knows which pass:
    feedback and results name sections and levels by id, pages by the rubric's names."""
    return [RubricSection.model_validate(section) for section in rubric]
