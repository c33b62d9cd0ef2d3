"""The administrator's workspace: the assessor pool (qualifications, capacity, calibration,
pause), the work waiting for an assessor or past its due time, and the reliability report
of each micro-credential. Everything comes from the APIs' answers to the administrator's
own token."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace.api import PersonalApi, api_for, problem_detail
from awardpath.workspace.pages import page, problem_page
from awardpath.workspace.sessions import check_form

router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("admin"))]


@router.get("/admin", response_class=HTMLResponse)
async def pool(request: Request, api: Api, notice: str | None = None, cursor: str | None = None) -> Response:
    answers = await asyncio.gather(
        api.get("assessment", "/v1/assessors", limit=50, **({"cursor": cursor} if cursor else {})),
        api.get("assessment", "/v1/unassigned", limit=20),
        api.get("assessment", "/v1/overdue", limit=20),
        api.get("award", "/v1/micro-credentials", limit=100),
    )
    failed = next((answer for answer in answers if answer.status_code != 200), None)
    if failed is not None:
        return problem_page(request, failed.status_code, "The pool could not be shown", problem_detail(failed))
    assessors, unassigned, overdue, catalog = (answer.json() for answer in answers)
    return page(
        request,
        "admin/pool.html",
        assessors=assessors["items"],
        next_cursor=assessors["next_cursor"],
        unassigned=unassigned,
        overdue=overdue,
        titles={item["id"]: item["title"] for item in catalog["items"]},
        notice=notice,
    )


@router.post("/admin/assessors/{assessor_id}/pause")
async def pause(
    request: Request, assessor_id: str, api: Api, form_token: Annotated[str | None, Form()] = None
) -> Response:
    return await _set_paused(request, api, assessor_id, form_token, paused=True)


@router.post("/admin/assessors/{assessor_id}/resume")
async def resume(
    request: Request, assessor_id: str, api: Api, form_token: Annotated[str | None, Form()] = None
) -> Response:
    return await _set_paused(request, api, assessor_id, form_token, paused=False)


@router.get("/admin/reliability/{micro_credential_id}", response_class=HTMLResponse)
async def reliability(request: Request, micro_credential_id: str, api: Api) -> Response:
    report, definition = await asyncio.gather(
        api.get("assessment", "/v1/reports/reliability", micro_credential_id=micro_credential_id),
        api.get("award", f"/v1/micro-credentials/{micro_credential_id}"),
    )
    if report.status_code != 200:
        return problem_page(request, report.status_code, "No report for this micro-credential", problem_detail(report))
    title = definition.json()["title"] if definition.status_code == 200 else micro_credential_id
    return page(request, "admin/reliability.html", report=report.json(), title=title)


async def _set_paused(
    request: Request, api: Api, assessor_id: str, form_token: str | None, *, paused: bool
) -> Response:
    check_form(request, form_token)
    answer = await api.patch("assessment", f"/v1/assessors/{assessor_id}", {"paused": paused})
    if answer.status_code != 200:
        return problem_page(request, answer.status_code, "The assessor was not changed", problem_detail(answer))
    return RedirectResponse(f"/admin?notice={'paused' if paused else 'resumed'}", status_code=303)
