"""The HTTP side of idempotency keys (`idempotency`): a POST carrying `Idempotency-Key` claims
it in the request's unit of work before the endpoint runs (a stored response is replayed
instead), and its successful response is stored in that unit of work before it commits."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.idempotency import HEADER, Claim, IdempotencyKeys, StoredResponse, checked_key, fingerprint
from awardpath_shared.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

REPLAYED_HEADER = "Idempotent-Replayed"
ANSWERS_WITH_A_SECRET = "awardpath_answers_with_a_secret"
E = TypeVar("E", bound=Callable[..., Any])

_SECRET_NOT_KEPT = StoredResponse(
    409,
    PROBLEM_MEDIA_TYPE,
    json.dumps(
        {
            "type": PROBLEM_BASE + "secret-not-kept",
            "title": "Done already",
            "status": 409,
            "detail": "this request was done; its answer held a secret shown only once, so no copy was "
            "kept: rotate the secret to get a new one",
        }
    ).encode(),
)


class Replayed(Exception):
    """The request repeats one already answered: its stored response is the answer."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("replayed")
        self.response = response


@dataclass(frozen=True)
class HeldKey:
    keys: IdempotencyKeys
    claim: Claim
    session: AsyncSession


async def claim_key(request: Request, keys: IdempotencyKeys, session: AsyncSession, caller: str | None) -> None:
    """Claim the request's key for `caller` in `session`'s transaction; raise Replayed when
    the same request was answered before. Requests without a key or a verified caller (a
    public call writes nothing worth a key), and reads, pass."""
    value = request.headers.get(HEADER)
    if value is None or caller is None or request.method != "POST":
        return
    claim = Claim(scope=caller, key=checked_key(value))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    stored = await keys.claim(session, claim, fingerprint(request.method, target, await request.body()))
    if stored is not None:
        raise Replayed(stored)
    request.state.held_key = HeldKey(keys, claim, session)


def answers_with_a_secret(endpoint: E) -> E:
    """Mark an endpoint whose answer shows a secret once (a webhook signing secret): no copy
    of it is kept under the request's key; a retry is told the request was done instead."""
    setattr(endpoint, ANSWERS_WITH_A_SECRET, True)
    return endpoint


async def remember(request: Request, response: Response) -> None:
    """Store a successful response under the key the request holds (before the commit)."""
    held: HeldKey | None = getattr(request.state, "held_key", None)
    if held is None:
        return
    body = getattr(response, "body", None)  # a streamed response has none to keep
    if body is None or not 200 <= response.status_code < 300:
        # Nothing to replay: the key is given up, as if the request had not carried it.
        await held.keys.release(held.session, held.claim)
        return
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if getattr(endpoint, ANSWERS_WITH_A_SECRET, False):
        stored = _SECRET_NOT_KEPT
    else:
        media_type = response.headers.get("content-type", "application/json")
        stored = StoredResponse(response.status_code, media_type, bytes(body), response.headers.get("location"))
    await held.keys.record(held.session, held.claim, stored)


async def replayed_response(_request: Request, error: Exception) -> Response:
    assert isinstance(error, Replayed)
    stored = error.response
    headers = {REPLAYED_HEADER: "true", **({"Location": stored.location} if stored.location else {})}
    return Response(stored.body, stored.status_code, headers, media_type=stored.media_type)
