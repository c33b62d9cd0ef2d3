"""Several outbox relays on one PostgreSQL database (as when a service runs several
processes): every row is published exactly once and each key's events in order; a dead
relay's claims come free within seconds, a live one's are renewed while it publishes."""

import asyncio
import random
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.ids import new_id
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_shared.settings import ServiceSettings
from awardpath_submission.models import OutboxMessage
from awardpath_submission.uow import SubmissionUnitOfWork
from tests.support.messaging import published_event
from tests.support.polling import eventually


class SlowRecordingTransport:
    """A broker that takes a little while to acknowledge, so the relays' passes interleave."""

    def __init__(self, published: list[tuple[str, str, str]], relay: str) -> None:
        self.published = published
        self.relay = relay

    def subscribe(self, consumer) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic, key, cloudevent) -> None:
        await asyncio.sleep(random.uniform(0, 0.003))
        self.published.append((key, cloudevent.get_data()["title"], self.relay))


async def test_two_relays_publish_every_row_once_and_each_key_in_order(postgres_url):
    published: list[tuple[str, str, str]] = []
    engines = [create_engine(postgres_url, "submission") for _ in range(3)]
    writer_sessions, *relay_sessions = [create_session_factory(engine) for engine in engines]
    relays = [
        OutboxRelay(
            source="/test",
            sessions=sessions,
            model=OutboxMessage,
            transport=SlowRecordingTransport(published, f"relay-{n}"),
            batch_size=5,
        )
        for n, sessions in enumerate(relay_sessions)
    ]
    keys = [new_id() for _ in range(4)]
    staged = {key: [] for key in keys}
    writing = True

    async def write() -> None:
        nonlocal writing
        for batch in range(60):
            async with writer_sessions() as session, session.begin():
                uow = SubmissionUnitOfWork(session)
                for position in range(random.randint(1, 3)):
                    key = random.choice(keys)
                    title = f"{batch}.{position}"
                    uow.publish(published_event(title, key))
                    staged[key].append(title)
            await asyncio.sleep(random.uniform(0, 0.004))
        writing = False

    async def relay_until_drained(relay: OutboxRelay) -> None:
        while await relay.relay_once() or writing:
            pass

    try:
        await asyncio.gather(write(), *(relay_until_drained(relay) for relay in relays))
        for relay in relays:
            await relay.relay_once()
        async with writer_sessions() as session:
            unsent = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.in_(keys), OutboxMessage.sent_at.is_(None))
            )
    finally:
        for engine in engines:
            await engine.dispose()

    assert unsent == 0
    assert len(published) == sum(len(titles) for titles in staged.values())  # none twice
    for key in keys:
        assert [title for published_key, title, _ in published if published_key == key] == staged[key]
    assert {relay for *_, relay in published} == {"relay-0", "relay-1"}  # both did work
    print(
        f"{len(published)} events over {len(keys)} keys, "
        f"{sum(relay == 'relay-0' for *_, relay in published)} by relay-0"
    )


class RelayDied(BaseException):
    """The relay's process died mid-publish (nothing in it handles this, like SIGKILL)."""


class DyingTransport(SlowRecordingTransport):
    async def publish(self, topic, key, cloudevent) -> None:
        raise RelayDied("killed while publishing")


class HeldTransport(SlowRecordingTransport):
    """A broker that acknowledges only when the test lets it (a slow broker, or an in-process
    handler retrying with backoff)."""

    def __init__(self, published: list[tuple[str, str, str]], relay: str) -> None:
        super().__init__(published, relay)
        self.entered = asyncio.Event()
        self.acknowledge = asyncio.Event()

    async def publish(self, topic, key, cloudevent) -> None:
        self.entered.set()
        await self.acknowledge.wait()
        await super().publish(topic, key, cloudevent)


def relay_on(url: str, transport, **options) -> tuple[OutboxRelay, AsyncEngine]:
    engine = create_engine(url, "submission")
    sessions = create_session_factory(engine)
    return OutboxRelay(source="/test", sessions=sessions, model=OutboxMessage, transport=transport, **options), engine


async def stage_one(url: str) -> str:
    engine = create_engine(url, "submission")
    try:
        async with create_session_factory(engine)() as session, session.begin():
            event = published_event("only")
            SubmissionUnitOfWork(session).publish(event)
        return event.micro_credential_id
    finally:
        await engine.dispose()


async def claimed_until(url: str, key: str) -> datetime | None:
    engine = create_engine(url, "submission")
    try:
        async with create_session_factory(engine)() as session:
            return await session.scalar(select(OutboxMessage.claimed_until).where(OutboxMessage.key == key))
    finally:
        await engine.dispose()


async def test_a_row_claimed_by_a_relay_that_died_is_sent_by_another_within_seconds(postgres_url):
    key = await stage_one(postgres_url)
    published: list[tuple[str, str, str]] = []
    lease = ServiceSettings().relay_claim_lease_seconds  # the default a deployment runs with
    dying, dying_engine = relay_on(postgres_url, DyingTransport(published, "dead"), claim_lease_seconds=lease)
    with pytest.raises(RelayDied):
        await dying.relay_once()  # claimed, then died before the outcome was recorded
    await dying_engine.dispose()
    assert await claimed_until(postgres_url, key) is not None  # the claim a dead process leaves

    fresh, fresh_engine = relay_on(postgres_url, SlowRecordingTransport(published, "fresh"), claim_lease_seconds=lease)
    try:
        assert await fresh.relay_once() == 0  # the claim holds while its lease runs
        started = time.monotonic()
        # Within seconds (a dead claim used to hold its row for a minute).
        await eventually(fresh.relay_once, lambda sent: sent == 1, timeout=10, interval=0.2)
        print(f"the dead relay's row was sent {time.monotonic() - started:.1f}s later (lease {lease}s)")
    finally:
        await fresh_engine.dispose()
    assert published == [(key, "only", "fresh")]


async def test_a_live_relay_publishing_slowly_keeps_its_rows_past_its_lease(postgres_url):
    key = await stage_one(postgres_url)
    published: list[tuple[str, str, str]] = []
    lease = 1.5
    slow_broker = HeldTransport(published, "slow")
    slow, slow_engine = relay_on(postgres_url, slow_broker, claim_lease_seconds=lease)
    other, other_engine = relay_on(postgres_url, SlowRecordingTransport(published, "other"), claim_lease_seconds=lease)
    try:
        publishing = asyncio.create_task(slow.relay_once())
        await eventually(slow_broker.entered.is_set, timeout=10)
        first_claim = await claimed_until(postgres_url, key)

        async def other_pass_then_claim() -> datetime | None:
            assert await other.relay_once() == 0, "another relay took a row a live relay holds"
            return await claimed_until(postgres_url, key)

        # Renewed past two leases beyond the first claim: the first lease ran out meanwhile
        # (a renewal made then), and the other relay, passing all along, never took the row.
        await eventually(
            other_pass_then_claim,
            lambda until: until > first_claim + timedelta(seconds=2 * lease),
            timeout=6 * lease,
            interval=0.1,
        )
        assert published == []
        slow_broker.acknowledge.set()
        assert await asyncio.wait_for(publishing, 10) == 1
        assert await other.relay_once() == 0
        assert await claimed_until(postgres_url, key) is None  # sent: the renewal stopped with it
    finally:
        await slow_engine.dispose()
        await other_engine.dispose()
    assert published == [(key, "only", "slow")]


async def test_a_relay_stopped_as_its_pass_ends_stops(postgres_url):
    """stop() may come while a pass waits for its claim renewal to wind down: the relay
    stops all the same (a swallowed cancellation left it running, and stop() waiting, for ever)."""
    relay, engine = relay_on(postgres_url, SlowRecordingTransport([], "relay"), poll_interval=60)
    winding_down, let_go = asyncio.Event(), asyncio.Event()

    async def renewal_that_winds_down_slowly(held) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            winding_down.set()
            await let_go.wait()  # a renewal still on its way back from the database

    relay._renew = renewal_that_winds_down_slowly
    try:
        await stage_one(postgres_url)
        relay.start()
        await asyncio.wait_for(winding_down.wait(), timeout=10)  # the pass is in its last step
        stopping = asyncio.create_task(relay.stop())
        await asyncio.sleep(0.05)  # the stop's cancellation reaches the pass mid-wait
        let_go.set()
        stopped, _ = await asyncio.wait({stopping}, timeout=10)  # no cancel on timeout: it shows
        assert stopping in stopped, "the relay kept running after stop()"
    finally:
        await engine.dispose()
