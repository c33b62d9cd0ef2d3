"""The OpenAPI document says what the edge answers: every error an operation can give is
documented as the RFC 9457 problem document it is (FastAPI documents only its own 422 body,
which is never served). Which errors an operation can give follows from what it takes:
a token (401, 403), a path id (404), query values or a body (400, 422; a body also 413), a
state change (404, 409), an Idempotency-Key on a POST (400, 422; the header is documented
on every POST here). Statuses only one operation knows (410, 415, 416, 503) it declares with
`responses=`; they get the problem schema here too."""

from typing import Any

from awardpath_shared.idempotency import HEADER, KEY_PATTERN
from awardpath_shared.idempotent_requests import REPLAYED_HEADER

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. Validation problems list each finding in `errors`.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {}},
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    400: "The request cannot be read (a cursor this API never gave, a body that is no JSON).",
    401: "No valid bearer token.",
    403: "The caller's role or tenant may not do this.",
    404: "Nothing at this path, or nothing the caller may see.",
    409: "The current state does not allow this.",
    410: "Gone.",
    413: "The body is larger than the service accepts.",
    415: "The body's media type is not accepted.",
    416: "The range asked for is past the end of the file.",
    422: "The request breaks a rule: each finding is listed in `errors`.",
    503: "The service cannot answer now.",
}


def _statuses(method: str, operation: dict[str, Any]) -> set[int]:
    places = {parameter["in"] for parameter in operation.get("parameters", [])}
    statuses: set[int] = set()
    if operation.get("security"):
        statuses |= {401, 403}
    if "path" in places:
        statuses.add(404)
    if "query" in places or "requestBody" in operation:
        statuses |= {400, 422}
    if "requestBody" in operation:
        statuses.add(413)
    if method != "get":
        statuses |= {404, 409}
    if method == "post":
        statuses |= {400, 422}  # a malformed or reused Idempotency-Key
    return statuses


IDEMPOTENCY_KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Send the same key again with the same request to get its first response back "
    f"instead of doing it twice (header `{REPLAYED_HEADER}: true`); keys are kept 24 hours "
    "(AWARDPATH_IDEMPOTENCY_KEY_TTL_HOURS). The same key with another request is a 422.",
    "schema": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 255},
}


def with_edge_behaviour(document: dict[str, Any]) -> dict[str, Any]:
    """`document` as the edge serves it: every error response a problem, the Idempotency-Key
    header on every POST."""
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
            responses = operation.setdefault("responses", {})
            # FastAPI's own 422 is dropped where nothing can be invalid but the path (a 404 here).
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400} - {422}
            for status in sorted(_statuses(method, operation) | declared):
                given = responses.get(str(status), {}) if status != 422 else {}
                if "content" in given:
                    continue  # an operation's own error body (a revoked assertion's 410)
                responses[str(status)] = {
                    "description": given.get("description") or DESCRIPTIONS.get(status, "An error."),
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
                }
            if "422" in responses and 422 not in _statuses(method, operation):
                del responses["422"]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    # FastAPI's validation error bodies are never served (the edge answers problems).
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
