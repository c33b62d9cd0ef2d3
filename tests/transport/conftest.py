"""Transport tier: the delivery system (outbox relay, transport, idempotent consumer) on a
migrated PostgreSQL database, over every transport; Kafka tests use the real broker."""

import pytest

from awardpath_shared.settings import ServiceSettings
from tests.support.databases import create_database, drop_database, migrate_all
from tests.support.delivery import Delivery, kafka_settings

TRANSPORTS = ("inprocess", "kafka")


@pytest.fixture(scope="session")
async def postgres_template_url(tmp_path_factory):
    """A migrated PostgreSQL database nobody connects to: the original of `postgres_url`'s copies."""
    url = await create_database("postgres", tmp_path_factory.mktemp("transport"))
    await migrate_all(url)
    yield url
    await drop_database(url)


@pytest.fixture
async def postgres_url(postgres_template_url, tmp_path):
    """A migrated database of this test's own: relays take every unsent row they find."""
    url = await create_database("postgres", tmp_path, template=postgres_template_url)
    yield url
    await drop_database(url)


@pytest.fixture(params=TRANSPORTS)
async def delivery(request, postgres_url):
    # Quick retries: a failing handler is dead-lettered within a second on either transport.
    retries = {"consumer_max_attempts": 3, "consumer_retry_backoff_seconds": 0.05}
    settings = (
        kafka_settings(request.getfixturevalue("kafka_bootstrap_servers"), **retries)
        if request.param == "kafka"
        else ServiceSettings(**retries)
    )
    opened = Delivery(request.param, postgres_url, settings)
    yield opened
    await opened.close()
