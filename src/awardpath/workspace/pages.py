"""Rendering: the templates, and what every page gets (the person, the form token)."""

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from awardpath.workspace.api import problem_detail
from awardpath.workspace.sessions import form_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
# What a streamed evidence file keeps of the API's answer.
FILE_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges", "content-disposition")


def file_size(size: int) -> str:
    """A file's size as people read it: 12 KB, 3.4 MB."""
    return f"{-(-size // 1024)} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"


TEMPLATES.env.filters["file_size"] = file_size
# The scripts' and styles' digest, in their URLs: a release with new ones is fetched anew.
STATIC_VERSION = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted(Path(__file__).with_name("static").iterdir()))
).hexdigest()[:12]
TEMPLATES.env.globals["static_version"] = STATIC_VERSION
# Why an assessor hands work back, as the assessment API takes it and as people say it: the
# assessor's buttons and the administrator's list.
RELEASE_REASONS = {
    "conflict_of_interest": "I know the educator or their school",
    "no_time": "I have no time for it",
    "outside_expertise": "It is outside my expertise",
    "other": "Another reason",
}
TEMPLATES.env.globals["release_reasons"] = RELEASE_REASONS


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    person = {"role": request.session.get("role"), "subject": request.session.get("subject")}
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"person": person if person["subject"] else None, "form_token": form_token(request), **context},
        status_code=status_code,
    )


def refreshing(request: Request) -> bool:
    """The request is a list refreshing itself (htmx, `#waiting-work`), not the person asking."""
    return request.headers.get("HX-Trigger") == "waiting-work"


def unchanged(request: Request, digest: str) -> bool:
    """A refresh whose list is the one already shown (its digest, sent back with it)."""
    return refreshing(request) and request.query_params.get("seen") == digest


def digest_of(shown: Any) -> str:
    """What a list shows (its rows, and whether more follow), in short: a refresh swaps the
    list in only when this changed."""
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def problem_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    return page(request, "message.html", status_code, title=title, detail=detail)


def refusal_page(request: Request, answer: httpx.Response, title: str) -> Response:
    """An API's refusal as a page: its status, `title`, and the API's own words. A list
    refreshing itself keeps what it shows instead (204): the person asked for nothing."""
    if refreshing(request):
        return Response(status_code=204)
    return problem_page(request, answer.status_code, title, problem_detail(answer))


def range_asked(request: Request) -> dict[str, str]:
    """The player's Range header, passed on so a video seeks."""
    return {"Range": request.headers["range"]} if "range" in request.headers else {}


async def streamed_file(request: Request, answer: httpx.Response) -> Response:
    """An evidence file an API streams, passed to the browser as it comes: the players load
    it from this origin, whatever address the workspace reaches the APIs at."""
    if answer.status_code not in (200, 206):
        await answer.aread()
        await answer.aclose()
        return refusal_page(request, answer, "This file cannot be shown")
    passed = {name: answer.headers[name] for name in FILE_HEADERS if name in answer.headers}
    return StreamingResponse(
        answer.aiter_raw(), status_code=answer.status_code, headers=passed, background=BackgroundTask(answer.aclose)
    )
