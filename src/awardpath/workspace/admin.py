"""The administrator's workspace: the assessor pool (qualifications, capacity, calibration,
pause), the work waiting for an assessor or past its due time, the reliability report of
each micro-credential, the issuers of record, and sign-in links sent by e-mail. Everything
comes from the APIs' answers to the administrator's own token."""

import asyncio
import logging
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import aiosmtplib
from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from awardpath.workspace import mail
from awardpath.workspace.api import PersonalApi, api_for, refused_fields
from awardpath.workspace.pages import page, problem_page, refusal_page
from awardpath.workspace.sessions import ROLE_PAGES, check_form
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import sign_in_link
from awardpath_shared.validation import PathId

logger = logging.getLogger(__name__)
# What to say beside a field of the issuer form the award API refused.
ISSUER_FIELD_HINTS = {
    "name": "Give the issuer's name.",
    "url": "Give the issuer's web address, starting with https://.",
    "email": "Give an e-mail address such as credentials@school.org.",
}
router = APIRouter()
Api = Annotated[PersonalApi, Depends(api_for("admin"))]


@router.get("/admin", response_class=HTMLResponse)
async def pool(request: Request, api: Api, notice: str | None = None, cursor: str | None = None) -> Response:
    return await _pool_page(request, api, notice=notice, cursor=cursor)


@router.post("/admin/sign-in-links")
async def mail_sign_in_link(
    request: Request,
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    role: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """E-mail a one-time sign-in link; a refusal comes back beside its field, nothing sent."""
    check_form(request, form_token)
    settings: WorkspaceSettings = request.app.state.settings
    if not settings.sends_mail:
        return problem_page(request, 404, "Sign-in links are not sent by e-mail here", "No mail server is set up.")
    values = {"role": role, "subject": subject.strip(), "email": email.strip()}
    errors = _sign_in_link_errors(values)
    if errors:
        return await _pool_page(request, api, values=values, errors=errors, status_code=422)
    link = sign_in_link(settings, values["role"], values["subject"])
    try:
        await mail.send(settings, mail.sign_in_message(settings, values["email"], values["role"], link))
    except (aiosmtplib.SMTPException, OSError):
        logger.exception("the sign-in link was not sent")
        detail = "The mail server did not take the message; try again in a moment."
        return problem_page(request, 502, "The sign-in link was not sent", detail)
    return RedirectResponse("/admin?notice=link-sent", status_code=303)


@router.post("/admin/assessors/{assessor_id}/{change}")
async def pause_or_resume(
    request: Request,
    assessor_id: PathId,
    change: Literal["pause", "resume"],
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    cursor: Annotated[str | None, Form()] = None,
) -> Response:
    """Pause or resume, then the pool again (the page's script swaps in its changed part)."""
    check_form(request, form_token)
    paused = change == "pause"
    answer = await api.patch("assessment", f"/v1/assessors/{assessor_id}", {"paused": paused})
    if answer.status_code != 200:
        return refusal_page(request, answer, "The assessor was not changed")
    shown = {"notice": "paused" if paused else "resumed", **({"cursor": cursor} if cursor else {})}
    return RedirectResponse(f"/admin?{urlencode(shown)}", status_code=303)


@router.get("/admin/issuers", response_class=HTMLResponse)
async def issuers(request: Request, api: Api, notice: str | None = None, cursor: str | None = None) -> Response:
    return await _issuers_page(request, api, notice=notice, cursor=cursor)


@router.post("/admin/issuers")
async def add_issuer(
    request: Request,
    api: Api,
    form_token: Annotated[str | None, Form()] = None,
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """Register an issuer of record; a refusal comes back beside its field, nothing added."""
    check_form(request, form_token)
    values = {"name": name.strip(), "url": url.strip(), "email": email.strip()}
    answer = await api.post("award", "/v1/issuers", values)
    if answer.status_code == 201:
        return RedirectResponse("/admin/issuers?notice=added", status_code=303)
    if answer.status_code != 422:
        return refusal_page(request, answer, "The issuer was not added")
    errors = refused_fields(answer, partial(_issuer_field, values), ISSUER_FIELD_HINTS)
    return await _issuers_page(request, api, values=values, errors=errors, status_code=422)


def _issuer_field(values: dict[str, str], location: list[Any]) -> str:
    """The form field of a finding at ["body", field, ...]."""
    return str(location[1]) if len(location) > 1 and location[1] in values else "form"


@router.get("/admin/reliability/{micro_credential_id}", response_class=HTMLResponse)
async def reliability(request: Request, micro_credential_id: PathId, api: Api) -> Response:
    report, definition = await asyncio.gather(
        api.get("assessment", "/v1/reports/reliability", micro_credential_id=micro_credential_id),
        api.get("award", f"/v1/micro-credentials/{micro_credential_id}"),
    )
    if report.status_code != 200:
        return refusal_page(request, report, "No report for this micro-credential")
    title = definition.json()["title"] if definition.status_code == 200 else micro_credential_id
    return page(request, "admin/reliability.html", report=report.json(), title=title)


async def _pool_page(
    request: Request,
    api: Api,
    *,
    notice: str | None = None,
    cursor: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answers = await asyncio.gather(
        api.get_page("assessment", "/v1/assessors", cursor),
        api.get("assessment", "/v1/unassigned", limit=20),
        api.get("assessment", "/v1/overdue", limit=20),
        api.get("assessment", "/v1/releases", limit=20),
        api.get("award", "/v1/micro-credentials", limit=100),
    )
    assessors, unassigned, overdue, released, catalog = answers
    # The releases are an aside: while an older assessment API lacks them, the pool still shows.
    failed = next((answer for answer in answers if answer.status_code != 200 and answer is not released), None)
    if failed is not None:
        return refusal_page(request, failed, "The pool could not be shown")
    pool = assessors.json()
    return page(
        request,
        "admin/pool.html",
        status_code,
        assessors=pool["items"],
        cursor=cursor,
        next_cursor=pool["next_cursor"],
        unassigned=unassigned.json(),
        overdue=overdue.json(),
        releases=released.json()["items"] if released.status_code == 200 else None,
        titles={item["id"]: item["title"] for item in catalog.json()["items"]},
        notice=notice,
        sends_mail=request.app.state.settings.sends_mail,
        values=values or {},
        errors=errors or {},
    )


async def _issuers_page(
    request: Request,
    api: Api,
    *,
    notice: str | None = None,
    cursor: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    answer = await api.get_page("award", "/v1/issuers", cursor)
    if answer.status_code != 200:
        return refusal_page(request, answer, "The issuers could not be shown")
    listed = answer.json()
    context = {"items": listed["items"], "next_cursor": listed["next_cursor"], "notice": notice}
    return page(request, "admin/issuers.html", status_code, **context, values=values or {}, errors=errors or {})


def _sign_in_link_errors(values: dict[str, str]) -> dict[str, str]:
    errors = {}
    if values["role"] not in ROLE_PAGES:
        errors["role"] = "Choose assessor, issuer or administrator."
    if not values["subject"] or len(values["subject"]) > 200:
        errors["subject"] = "Give their id in Awardpath: the assessor id, the issuer id, or an administrator's name."
    try:
        validate_email(values["email"], check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = "Give an e-mail address such as name@school.org."
    return errors
