"""The path's backlog is visible to operators as Prometheus metrics: the rows waiting in a
service's outbox and the age of the oldest (the consumer lag on Kafka is tested with the
transport, on the real broker)."""

import re
from datetime import timedelta

from httpx import ASGITransport, AsyncClient

from awardpath_shared.ids import utcnow
from awardpath_submission.models import OutboxMessage
from tests.support.in_process import running_apps
from tests.support.messaging import published_event

SECRET = "backlog-metrics-test-secret-0123456789"


def metric(text: str, name: str) -> float:
    [value] = re.findall(rf'^{name}{{service="submission"}} (\S+)$', text, flags=re.MULTILINE)
    return float(value)


async def test_rows_waiting_in_the_outbox_are_counted_with_the_age_of_the_oldest(database_url):
    async with running_apps(database_url, SECRET) as apps:
        client = AsyncClient(transport=ASGITransport(app=apps["submission"]), base_url="http://test")
        empty = (await client.get("/metrics")).text
        assert metric(empty, "awardpath_outbox_unsent_rows") == 0
        assert metric(empty, "awardpath_outbox_oldest_unsent_age_seconds") == 0

        # Two rows whose publishing failed and wait for their retry, the older staged 90 s ago.
        runtime = apps["submission"].state.runtime
        async with runtime.transaction() as uow:
            for staged_ago in (90, 30):
                row = OutboxMessage.staging(published_event(f"{staged_ago} s ago"))
                row.created_at = utcnow() - timedelta(seconds=staged_ago)
                row.next_attempt_at = utcnow() + timedelta(hours=1)
                uow.session.add(row)

        waiting = (await client.get("/metrics")).text
        assert metric(waiting, "awardpath_outbox_unsent_rows") == 2
        assert 90 <= metric(waiting, "awardpath_outbox_oldest_unsent_age_seconds") < 120
        await client.aclose()


async def test_dead_outbox_rows_and_server_errors_are_counted(database_url):
    async with running_apps(database_url, SECRET) as apps:
        app = apps["submission"]

        async def fails() -> None:
            raise RuntimeError("a bug")

        app.add_api_route("/v1/fails", fails)  # a handler with a bug: the error handler answers 500
        client = AsyncClient(transport=ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test")
        runtime = app.state.runtime
        async with runtime.transaction() as uow:
            row = OutboxMessage.staging(published_event("gave up"))
            row.dead_at = utcnow()
            uow.session.add(row)

        assert (await client.get("/v1/fails")).status_code == 500
        scraped = (await client.get("/metrics")).text
        assert metric(scraped, "awardpath_outbox_dead_rows") == 1
        assert metric(scraped, "awardpath_outbox_unsent_rows") == 0  # a dead row waits for nothing
        [errors] = re.findall(
            r'^http_requests_total{method="GET",route="/v1/fails",service="submission",status="500"} (\S+)$',
            scraped,
            flags=re.MULTILINE,
        )
        assert float(errors) == 1
        await client.aclose()
