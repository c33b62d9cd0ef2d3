"""The HTTP side of idempotency keys (`idempotency`): a POST carrying `Idempotency-Key` claims
it in the request's unit of work before the endpoint runs (a stored response is replayed
instead), and its successful response is stored in that unit of work before it commits."""

from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.idempotency import HEADER, Claim, IdempotencyKeys, StoredResponse, checked_key, fingerprint

REPLAYED_HEADER = "Idempotent-Replayed"


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


async def claim_key(request: Request, keys: IdempotencyKeys, session: AsyncSession, caller: str) -> None:
    """Claim the request's key for `caller` in `session`'s transaction; raise Replayed when
    the same request was answered before. Requests without a key, and reads, pass."""
    value = request.headers.get(HEADER)
    if value is None or request.method != "POST":
        return
    claim = Claim(scope=caller, key=checked_key(value))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    stored = await keys.claim(session, claim, fingerprint(request.method, target, await request.body()))
    if stored is not None:
        raise Replayed(stored)
    request.state.held_key = HeldKey(keys, claim, session)


async def remember(request: Request, response: Response) -> None:
    """Store a successful response under the key the request holds (before the commit)."""
    held: HeldKey | None = getattr(request.state, "held_key", None)
    body = getattr(response, "body", None)  # a streamed response has none to keep
    if held is None or body is None or not 200 <= response.status_code < 300:
        return
    media_type = response.headers.get("content-type", "application/json")
    await held.keys.record(held.session, held.claim, StoredResponse(response.status_code, media_type, bytes(body)))


async def replayed_response(_request: Request, error: Exception) -> Response:
    assert isinstance(error, Replayed)
    stored = error.response
    return Response(stored.body, stored.status_code, {REPLAYED_HEADER: "true"}, media_type=stored.media_type)
