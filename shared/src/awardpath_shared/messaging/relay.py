"""The outbox relay: publishes committed outbox rows in order and marks them sent.

Rows are claimed with a short lease (`awardpath_shared.leases`) so several relay replicas
never publish the same row at once; the relay renews it while it publishes (a slow broker, an
in-process handler retrying), so a live relay keeps its rows however long that takes and a
dead one's rows come free within seconds. A row whose key has an earlier unsent row that is
not yet publishable waits, which keeps the events of one submission in order. Claims themselves take
turns (a transaction-scoped advisory lock on PostgreSQL; SQLite serialises every write
transaction anyway): a claim must see the rows another relay has just claimed, or it would
take a later row of the same key and publish it first. A row that keeps failing is retried
with backoff, then marked dead (kept, with its error). Each row is published in a span of the
trace it was staged in, and its CloudEvent carries that trace's context (`tracing`).
"""

import asyncio
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from cloudevents.core.base import BaseCloudEvent
from sqlalchemy import CursorResult, Row, Table, Update, and_, bindparam, exists, func, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from awardpath_shared.backoff import exponential_backoff
from awardpath_shared.db import UtcDateTime, one_statement_sessions, take_advisory_lock
from awardpath_shared.events import EVENT_TYPES
from awardpath_shared.ids import utcnow
from awardpath_shared.leases import due, renew
from awardpath_shared.messaging.envelope import to_cloudevent
from awardpath_shared.messaging.outbox import OutboxMessageMixin
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.metrics import RELAY_PASS_SECONDS, RELAY_PUBLISHED
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.tracing import extensions_of, failed, publishing

logger = logging.getLogger(__name__)

# What a pass reads of each row it claims.
CLAIMED_COLUMNS = ("id", "event_type", "topic", "key", "payload", "created_at", "attempts", "trace_context")
# A claim is renewed this often per lease: two renewals may fail or run late before it lapses.
RENEWALS_PER_LEASE = 3
KEYS_AT_ONCE = 32
RETRY_BASE_SECONDS = 0.2
RETRY_CAP_SECONDS = 300.0


@dataclass(frozen=True)
class Backlog:
    """Rows still to publish (not dead), the age in seconds of the oldest (0: none), and rows
    the relay gave up on."""

    unsent: int
    oldest_unsent_age_seconds: float
    dead: int


class OutboxRelay:
    def __init__(
        self,
        *,
        source: str,
        sessions: async_sessionmaker[AsyncSession],
        model: type[OutboxMessageMixin],
        transport: Transport,
        poll_interval: float = 0.5,
        batch_size: int = 100,
        max_attempts: int = 10,
        claim_lease_seconds: float = 5.0,
    ) -> None:
        self._source = source
        self._service = source.rsplit("/", 1)[-1]  # `/awardpath/<service>`
        self._sessions = sessions
        # Marking sent, releasing, recording a failure and renewing are one statement each.
        self._one_statement = one_statement_sessions(sessions)
        self._model = model
        self._transport = transport
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._lease = timedelta(seconds=claim_lease_seconds)
        self._loop = PeriodicTask(f"outbox-relay-{source}", self._pass, poll_interval)
        self._statements = RelayStatements.of(model, batch_size)
        # Keys published side by side at most: in-process, an event whose batch failed is
        # delivered alone and holds a connection of its consumer meanwhile.
        self._keys_at_once = asyncio.Semaphore(KEYS_AT_ONCE)

    def wake(self) -> None:
        """Ask for a pass now (called after a commit that staged events)."""
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _pass(self) -> bool:
        # A full batch means more rows are probably waiting: go again at once.
        return await self.relay_once() >= self._batch_size

    async def relay_once(self) -> int:
        """One pass: claim publishable rows and publish them, each key's in order and keys side
        by side (a key whose consumer is retrying holds up no other), then mark what was
        published sent in one statement; returns how many were sent."""
        started = time.perf_counter()
        by_key: dict[str, list[Row[Any]]] = {}
        for row in await self._claim():
            by_key.setdefault(row.key, []).append(row)
        if not by_key:
            return 0
        # The ids this pass still holds: a failed row and those after it leave at once, the
        # published ones once they are marked sent.
        held = {row.id for rows in by_key.values() for row in rows}
        heartbeat = asyncio.create_task(self._renew(held), name="outbox-relay-claim-renewal")
        try:
            published = await asyncio.gather(*(self._relay_key(rows, held) for rows in by_key.values()))
            sent = [row_id for ids in published for row_id in ids]
            await self._mark_sent(sent)
            RELAY_PUBLISHED.labels(self._service).inc(len(sent))
            RELAY_PASS_SECONDS.labels(self._service).observe(time.perf_counter() - started)
            return len(sent)
        finally:
            heartbeat.cancel()
            # Wait for it without swallowing a cancellation of this pass (suppressing
            # CancelledError here would, when stop() came just then: a relay that never stops).
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def _relay_key(self, rows: list[Row[Any]], held: set[str]) -> list[str]:
        """Publish one key's rows in order; after a failure the later ones wait for the next
        pass. Returns the ids published."""
        async with self._keys_at_once:
            for position, row in enumerate(rows):
                with publishing(
                    row.trace_context, event_type=row.event_type, event_id=row.id, topic=row.topic, key=row.key
                ) as span:
                    try:
                        await self._transport.publish(row.topic, row.key, self._cloudevent(row))
                    except Exception as error:  # any failure: retry later, keep later same-key rows back
                        failed(span, error)
                        logger.warning("publishing %s %s failed: %r", row.event_type, row.id, error)
                        await self._record_failure(row, error)
                        later = [later.id for later in rows[position + 1 :]]
                        await self._release(later)
                        held.difference_update([row.id, *later])
                        return [published.id for published in rows[:position]]
            return [row.id for row in rows]

    async def _renew(self, held: set[str]) -> None:
        """Renew this pass's claims until it ends (cancelled then). A process that dies stops
        renewing, so its rows come free once the lease runs out."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / RENEWALS_PER_LEASE)
            try:
                async with self._one_statement() as session, session.begin():
                    await renew(session, table=self._model, ids=held, now=utcnow(), lease=self._lease)
            except Exception as error:  # the next beat tries again; the lease outlasts a missed one
                logger.warning("renewing the claim on %d outbox rows failed: %r", len(held), error)

    def _cloudevent(self, row: Row[Any]) -> BaseCloudEvent:
        event = EVENT_TYPES[row.event_type].model_validate(row.payload)
        extensions = extensions_of(row.trace_context)
        return to_cloudevent(event, event_id=row.id, source=self._source, time=row.created_at, extensions=extensions)

    async def _claim(self) -> list[Row[Any]]:
        async with self._sessions() as session, session.begin():
            await self._take_claim_turn(session)
            # Read the clock after the turn: waiting for it must not eat into the short lease.
            now = utcnow()
            claimed = await session.execute(self._statements.claim, {"now": now, "until": now + self._lease})
            return sorted(claimed, key=lambda row: row.id)

    async def backlog(self, session: AsyncSession) -> Backlog:
        """The outbox's backlog, read in `session` (a reading one: on SQLite it takes no write
        lock)."""
        table = inspect(self._model).local_table
        waiting = and_(table.c.sent_at.is_(None), table.c.dead_at.is_(None))
        # Unsent rows only (dead ones included): sent rows are kept, and the index on
        # `sent_at` keeps this read as small as the backlog however long the history.
        query = select(
            func.count().filter(waiting),
            func.min(table.c.created_at).filter(waiting),
            func.count().filter(table.c.dead_at.is_not(None)),
        ).where(table.c.sent_at.is_(None))
        unsent, oldest, dead = (await session.execute(query)).one()
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        return Backlog(unsent=unsent, oldest_unsent_age_seconds=age, dead=dead)

    async def dead_rows(self) -> list[OutboxMessageMixin]:
        """Rows delivery gave up on (kept with their error), oldest first."""
        async with self._sessions() as session:
            query = select(self._model).where(self._model.dead_at.is_not(None)).order_by(self._model.id)
            return list(await session.scalars(query))

    async def requeue_dead(self) -> int:
        """Give every dead row a fresh set of attempts; returns how many."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(self._model)
                .where(self._model.dead_at.is_not(None))
                .values(dead_at=None, attempts=0, next_attempt_at=utcnow(), claimed_until=None)
            )
        return cast(CursorResult[Any], result).rowcount

    async def _take_claim_turn(self, session: AsyncSession) -> None:
        await take_advisory_lock(session, zlib.crc32(inspect(self._model).local_table.fullname.encode()))

    async def _mark_sent(self, row_ids: list[str]) -> None:
        if not row_ids:
            return
        async with self._one_statement() as session, session.begin():
            await session.execute(self._statements.mark_sent, {"ids": row_ids, "now": utcnow()})

    async def _release(self, row_ids: list[str]) -> None:
        """Give up the claim on rows this pass will not publish (the next pass takes them)."""
        if not row_ids:
            return
        async with self._one_statement() as session, session.begin():
            await session.execute(update(self._model).where(self._model.id.in_(row_ids)).values(claimed_until=None))

    async def _record_failure(self, row: Row[Any], error: Exception) -> None:
        attempts = row.attempts + 1
        now = utcnow()
        delay = exponential_backoff(attempts, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
        values = {
            "attempts": attempts,
            "claimed_until": None,
            "last_error": repr(error)[:2000],
            "next_attempt_at": now + timedelta(seconds=delay),
        }
        if attempts >= self._max_attempts:
            logger.error("outbox row %s (%s) is dead after %d attempts", row.id, row.event_type, attempts)
            values["dead_at"] = now
        async with self._one_statement() as session, session.begin():
            await session.execute(update(self._model).where(self._model.id == row.id).values(**values))


@dataclass(frozen=True)
class RelayStatements:
    """The relay's hot statements, built once per relay (building and caching a statement
    costs more CPU than running it); parameters come with each execution."""

    claim: Update
    mark_sent: Update

    @classmethod
    def of(cls, model: type[OutboxMessageMixin], batch_size: int) -> "RelayStatements":
        table = cast(Table, inspect(model).local_table)
        now = bindparam("now", type_=UtcDateTime())
        earlier = table.alias("earlier")
        earlier_waiting = exists().where(
            earlier.c.key == table.c.key,
            earlier.c.id < table.c.id,
            earlier.c.sent_at.is_(None),
            earlier.c.dead_at.is_(None),
            or_(earlier.c.claimed_until > now, earlier.c.next_attempt_at > now),
        )
        # Unsent rows that are due, oldest first, none behind an earlier row of its key that
        # is held or waiting for its retry; rows another relay has locked are skipped.
        candidates = (
            select(table.c.id)
            .where(table.c.sent_at.is_(None), table.c.dead_at.is_(None), due(table.c, now), ~earlier_waiting)
            .order_by(table.c.id)
            .limit(batch_size)
            .with_for_update(of=table, skip_locked=True)
        )
        claim = (
            update(table)
            .where(table.c.id.in_(candidates.scalar_subquery()))
            .values(claimed_until=bindparam("until", type_=UtcDateTime()))
            .returning(*(table.c[name] for name in CLAIMED_COLUMNS))
        )
        mark_sent = (
            update(table)
            .where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(sent_at=bindparam("now", type_=UtcDateTime()), claimed_until=None, last_error=None)
        )
        return cls(claim, mark_sent)
