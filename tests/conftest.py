"""Fixtures every tier shares: databases on both backends."""

import pytest

from tests.support.databases import BACKENDS, create_database, drop_database, migrate_all


@pytest.fixture(scope="session", params=BACKENDS)
async def migrated_database_url(request, tmp_path_factory):
    """One migrated database per backend for the whole run (all three services' schemas)."""
    url = await create_database(request.param, tmp_path_factory.mktemp(request.param))
    await migrate_all(url)
    yield url
    await drop_database(url)
