"""Rendering: the templates, and what every page gets (the person, the form token)."""

from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from awardpath.workspace.api import problem_detail
from awardpath.workspace.sessions import form_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def file_size(size: int) -> str:
    """A file's size as people read it: 12 KB, 3.4 MB."""
    return f"{-(-size // 1024)} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


TEMPLATES.env.filters["file_size"] = file_size


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    person = {"role": request.session.get("role"), "subject": request.session.get("subject")}
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"person": person if person["subject"] else None, "form_token": form_token(request), **context},
        status_code=status_code,
    )


def problem_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "message.html", status_code, title=title, detail=detail)


def refusal_page(request: Request, answer: httpx.Response, title: str) -> HTMLResponse:
    """An API's refusal as a page: its status, `title`, and the API's own words."""
    return problem_page(request, answer.status_code, title, problem_detail(answer))
