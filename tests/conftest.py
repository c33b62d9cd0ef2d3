"""Fixtures every tier shares: databases on both backends, the Kafka broker."""

import pytest

from tests.support.broker import TansuBroker, external_bootstrap_servers
from tests.support.databases import BACKENDS, create_database, drop_database, migrate_all


@pytest.fixture(scope="session", params=BACKENDS)
async def migrated_database_url(request, tmp_path_factory):
    """One migrated database per backend for the whole run (all three services' schemas)."""
    url = await create_database(request.param, tmp_path_factory.mktemp(request.param))
    await migrate_all(url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="session")
def kafka_bootstrap_servers(tmp_path_factory):
    """The broker of the Kafka tests: `KAFKA_BOOTSTRAP_SERVERS` if set, else a Tansu we start."""
    external = external_bootstrap_servers()
    if external:
        yield external
        return
    broker = TansuBroker(tmp_path_factory.mktemp("tansu"))
    broker.start()
    yield broker.bootstrap_servers
    broker.stop()
