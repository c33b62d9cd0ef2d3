"""Several outbox relays on one PostgreSQL database (as when a service runs several
processes): every row is published exactly once and each key's events in order."""

import asyncio
import random

from sqlalchemy import func, select

from awardpath_shared.db import create_engine, create_session_factory
from awardpath_shared.ids import new_id
from awardpath_shared.messaging.relay import OutboxRelay
from awardpath_submission.models import OutboxMessage
from awardpath_submission.uow import SubmissionUnitOfWork
from tests.support.messaging import published_event


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
