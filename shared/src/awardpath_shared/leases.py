"""Claiming rows with a lease: how the outbox relay and webhook delivery take work.

A worker claims rows that are due and that nobody holds: locked with `FOR UPDATE SKIP
LOCKED` on PostgreSQL (so replicas never take the same row) and stamped `claimed_until`, so
the claim survives the claiming transaction and a crashed worker's rows come free again once
its lease runs out. The worker then records the outcome of each row, clearing the claim.

How long a lease is is the caller's trade: a worker whose work is time-boxed (a webhook
attempt) can take a lease longer than that box; a worker whose work is not (the outbox relay
waits on the broker or on in-process handlers) takes a short lease and `renew`s it while it
works, so a dead worker's rows come free within seconds.
"""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Select, or_, update
from sqlalchemy.ext.asyncio import AsyncSession


class Claimable(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Claimable)


def due(table: Any, now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Rows whose next attempt has come, held by nobody. `table` has `next_attempt_at` and
    `claimed_until` columns."""
    return or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now) & or_(
        table.claimed_until.is_(None), table.claimed_until <= now
    )


async def claim(
    session: AsyncSession, candidates: Select[T], *, table: Any, now: datetime, lease: timedelta
) -> list[T]:
    """The rows of `candidates` (the caller's query, with `due` among its conditions) that no
    other transaction has locked, held for `lease` from `now`."""
    rows = list(await session.scalars(candidates.with_for_update(of=table, skip_locked=True)))
    if rows:
        await session.execute(
            update(table).where(table.id.in_([row.id for row in rows])).values(claimed_until=now + lease)
        )
    return rows


async def renew(session: AsyncSession, *, table: Any, ids: Collection[str], now: datetime, lease: timedelta) -> int:
    """Hold the rows of `ids` for `lease` from `now` again, those still claimed (a row whose
    outcome was recorded has no claim left to renew); returns how many."""
    if not ids:
        return 0
    result = await session.execute(
        update(table).where(table.id.in_(list(ids)), table.claimed_until.is_not(None)).values(claimed_until=now + lease)
    )
    return cast(CursorResult[Any], result).rowcount
