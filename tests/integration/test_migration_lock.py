"""Migrations of one schema take turns on PostgreSQL (an advisory lock), so replicas that
start together, each migrating in its init container, never race: the later ones wait, then
find the schema at head. SQLite needs no lock: its writers run one at a time."""

import asyncio
import os
import sys

import asyncpg
import pytest

from awardpath_shared.migrations import migration_lock_key, upgrade
from tests.support.databases import create_database, drop_database
from tests.support.polling import eventually

WAITING_ADVISORY_LOCKS = """
    SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND NOT granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@pytest.fixture
async def empty_postgres_url(tmp_path):
    """PostgreSQL only: advisory locks are PostgreSQL's."""
    url = await create_database("postgres", tmp_path)
    yield url
    await drop_database(url)


async def test_a_migration_waits_for_the_one_under_way(empty_postgres_url):
    other = await asyncpg.connect(empty_postgres_url.replace("+asyncpg", ""))
    try:
        await other.execute("SELECT pg_advisory_lock($1, $2)", *migration_lock_key("award"))
        migrating = asyncio.ensure_future(asyncio.to_thread(upgrade, "award", empty_postgres_url))
        await eventually(lambda: other.fetchval(WAITING_ADVISORY_LOCKS), lambda waiting: waiting == 1)
        assert not migrating.done()
        assert await other.fetchval("SELECT to_regnamespace('award')") is None  # it touched nothing yet
        await other.execute("SELECT pg_advisory_unlock($1, $2)", *migration_lock_key("award"))
        await asyncio.wait_for(migrating, timeout=120)
        assert await other.fetchval("SELECT version_num FROM award.alembic_version") is not None
        # Done, it let go of the lock.
        assert await other.fetchval("SELECT pg_try_advisory_lock($1, $2)", *migration_lock_key("award")) is True
    finally:
        await other.close()


async def test_replicas_migrating_at_once_all_succeed(empty_postgres_url):
    """Three `awardpath migrate award` processes started together, like the init containers
    of three pods (processes: Alembic keeps one context per process). Whether their starts
    overlap is up to the machine; the test above makes the wait certain."""
    env = {**os.environ, "AWARDPATH_DATABASE_URL": empty_postgres_url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "awardpath", "migrate", "award", env=env, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    for process in processes:
        _, errors = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, errors.decode()
    other = await asyncpg.connect(empty_postgres_url.replace("+asyncpg", ""))
    try:
        assert len(await other.fetch("SELECT version_num FROM award.alembic_version")) == 1
    finally:
        await other.close()
