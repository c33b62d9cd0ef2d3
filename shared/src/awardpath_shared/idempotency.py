"""Idempotency keys: a client that retries a POST with the same `Idempotency-Key` gets the
first response again instead of a second submission, review or decision (IETF
draft-ietf-httpapi-idempotency-key-header). The same key with another request is a 422.

The key is claimed in the request's own transaction, before the endpoint runs, and the
response is stored in that transaction before it commits: the work and the record of it
commit together or not at all, whatever process dies when. A concurrent request with the
same key waits on the claim (PostgreSQL's unique index, SQLite's write lock) until the first
commits, then replays its response; if the first rolled back, it does the work itself.
Keys are scoped to the verified caller (role and subject; calls without one claim nothing)
and expire after `ttl`.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import UtcDateTime, insert_unless_present
from awardpath_shared.errors import Invalid, Malformed
from awardpath_shared.ids import utcnow

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[!-~]{1,255}$"  # printable ASCII without spaces, as the draft's examples
_KEY = re.compile(KEY_PATTERN)


class IdempotencyKeyMixin:
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    location: Mapped[str | None] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    media_type: str
    body: bytes
    location: str | None = None


@dataclass(frozen=True)
class Claim:
    """A key this request holds: its response is stored under it before the commit."""

    scope: str
    key: str


def fingerprint(method: str, target: str, body: bytes) -> str:
    """What makes two requests the same: method, path with query, and the body's bytes."""
    return hashlib.sha256(f"{method} {target}\n".encode() + body).hexdigest()


def checked_key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise Malformed(
            "bad-idempotency-key",
            "Malformed Idempotency-Key",
            "an Idempotency-Key is 1 to 255 printable ASCII characters without spaces",
        )
    return value


class IdempotencyKeys:
    """One service's stored keys (`model`: its table)."""

    def __init__(self, model: type[IdempotencyKeyMixin], ttl: timedelta) -> None:
        self.model = model
        self.ttl = ttl

    async def claim(self, session: AsyncSession, claim: Claim, request_fingerprint: str) -> StoredResponse | None:
        """Hold `claim` for this request (None: go ahead), or the response stored under it."""
        model, now = self.model, utcnow()
        mine = (model.scope == claim.scope) & (model.key == claim.key)
        await session.execute(delete(model).where(mine, model.expires_at <= now))  # an expired key is free
        row = {"scope": claim.scope, "key": claim.key, "fingerprint": request_fingerprint}
        unset = {"status_code": 0, "media_type": "", "body": b"", "expires_at": now + self.ttl}
        if await insert_unless_present(session, model, {**row, **unset}, ["scope", "key"]):
            return None
        stored = await session.scalar(select(model).where(mine).execution_options(populate_existing=True))
        assert stored is not None  # committed by the request this one waited for
        if stored.fingerprint != request_fingerprint:
            raise Invalid(
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was used for another request; use a new key for a new request",
            )
        return StoredResponse(stored.status_code, stored.media_type, stored.body, stored.location)

    async def record(self, session: AsyncSession, claim: Claim, response: StoredResponse) -> None:
        model = self.model
        await session.execute(
            update(model)
            .where(model.scope == claim.scope, model.key == claim.key)
            .values(
                status_code=response.status_code,
                media_type=response.media_type,
                body=response.body,
                location=response.location,
            )
        )

    async def release(self, session: AsyncSession, claim: Claim) -> None:
        """Give the key up: this request has no answer worth replaying."""
        model = self.model
        await session.execute(delete(model).where(model.scope == claim.scope, model.key == claim.key))

    async def purge(self, session: AsyncSession) -> None:
        await session.execute(delete(self.model).where(self.model.expires_at <= utcnow()))
