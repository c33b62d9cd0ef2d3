"""The HTTP edge of `input_checks`: every route (`routes.ServiceRoute`) parses JSON bodies
through `parse_json` and checks query values the same way before any endpoint sees them;
refused input is a 422 problem."""

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from awardpath_shared.input_checks import UnacceptableInput, parse_json, text_fault


def refusal_of(refused: UnacceptableInput, source: str) -> RequestValidationError:
    """The 422 the edge answers for refused input (`source`: "body" or "query")."""
    return RequestValidationError(
        [{"type": refused.kind, "loc": (source, *refused.location), "msg": refused.message, "input": None}]
    )


async def check_request(request: Request, takes_json: bool) -> None:
    """Refuse (422) query values and, for a route that reads JSON, a body the edge does not
    accept; the parsed body is left where FastAPI reads it."""
    for name, value in request.query_params.multi_items():
        fault = text_fault(name) or text_fault(value)
        if fault is not None:
            raise refusal_of(UnacceptableInput("string_unstorable", (name,), fault), "query")
    if takes_json and _is_json(request.headers.get("content-type")):
        body = await request.body()
        if body:
            try:
                # Starlette's Request.json() answers from this cache.
                request._json = parse_json(body)
            except UnacceptableInput as refused:
                raise refusal_of(refused, "body") from refused


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this type as JSON (an absent type included)."""
    if not content_type:
        return True
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
