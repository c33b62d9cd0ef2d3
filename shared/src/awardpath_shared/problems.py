"""The HTTP edge of errors: RFC 9457 problem details for every error response, made here and
nowhere else. Domain errors map to their status by type; `Problem` is for what only HTTP
knows (a media type, a body size), raised by endpoints and middleware."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from awardpath_shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    Malformed,
    NotFound,
    TooLarge,
    Unauthenticated,
    UnsupportedContent,
)

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://awardpath.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS_OF: dict[type[DomainError], int] = {
    Malformed: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    UnsupportedContent: 415,
    Invalid: 422,
}

_CODES_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    422: "validation-error",
}


class Problem(Exception):
    """An error only HTTP can name (media type, body size). `code` becomes the problem `type`."""

    def __init__(
        self, status: int, code: str, title: str, detail: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(jsonable_encoder(extensions))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def status_of(error: DomainError) -> int:
    """The status of the most specific kind the error is (400 for a bare DomainError)."""
    return next((status for kind, status in STATUS_OF.items() if isinstance(error, kind)), 400)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    headers = {"WWW-Authenticate": 'Bearer realm="awardpath"'} if isinstance(error, Unauthenticated) else None
    return problem_response(
        status_of(error), error.code, error.title, error.detail, request.url.path, headers, **error.extensions
    )


async def _problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(error.status, error.code, error.title, error.detail, request.url.path, error.headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg"), "type": item.get("type")} for item in error.errors()
    ]
    if errors and all(item["loc"][:1] == ["path"] for item in errors):
        # A malformed id in the path names nothing here: the same answer as an unknown one.
        return problem_response(404, "not-found", "Not found", "no resource at this path", request.url.path)
    return problem_response(
        422,
        "validation-error",
        "Request is not valid",
        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
        request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(error.status_code, "http-error")
    return problem_response(
        error.status_code,
        code,
        code.replace("-", " ").capitalize(),
        str(error.detail) if error.detail else None,
        request.url.path,
        getattr(error, "headers", None),
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(500, "internal-error", "Internal server error", None, request.url.path)
