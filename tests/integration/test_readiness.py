"""`/health/ready` answers 200 only when the service's database answers at the schema revision
its code expects, and its 503 names what is wrong without the driver's words (they go to the
log); both backends. The apps run without their lifespan: nothing in the background touches
the databases these tests leave unmigrated."""

import asyncio
import importlib.resources
from contextlib import asynccontextmanager

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text

from awardpath.services import SERVICES
from awardpath_shared.db import is_sqlite
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.migrations import upgrade
from tests.support.databases import create_database, drop_database

# What a driver's error text looks like: none of it may reach the answer.
DRIVER_WORDS = ("relation", "no such table", "does not exist", "Error", "connect", "errno", "asyncpg", "sqlite")


def newest_migration(service: str) -> str:
    """The revision the code expects: migrations are numbered files, the newest is the head."""
    versions = importlib.resources.files(f"awardpath_{service}") / "migrations" / "versions"
    return max(entry.name[:4] for entry in versions.iterdir() if entry.name[:4].isdigit())


@asynccontextmanager
async def ready_answer_of(service: str, database_url: str):
    entry = SERVICES[service]
    settings = entry.settings(database_url=database_url)
    runtime = entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))
    app = entry.create_app(runtime)
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
            yield await client.get("/health/ready")
    finally:
        await runtime.engine.dispose()


@pytest.fixture
async def empty_database_url(template_database_url, tmp_path):
    """A database nothing was migrated in, on the backend of this run."""
    url = await create_database("sqlite" if is_sqlite(template_database_url) else "postgres", tmp_path)
    yield url
    await drop_database(url)


def assert_not_ready(response, detail: str) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == detail
    assert not [word for word in DRIVER_WORDS if word.lower() in response.text.lower()], response.text


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_migrated_database_is_ready(database_url, service):
    async with ready_answer_of(service, database_url) as response:
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_database_never_migrated_is_not_ready(empty_database_url, service):
    async with ready_answer_of(service, empty_database_url) as response:
        assert_not_ready(response, f"schema not at {newest_migration(service)}: run awardpath migrate {service}")


async def test_a_database_behind_the_code_is_not_ready(empty_database_url):
    await asyncio.to_thread(upgrade, "award", empty_database_url, "0001")
    async with ready_answer_of("award", empty_database_url) as response:
        assert_not_ready(response, f"schema not at {newest_migration('award')}: run awardpath migrate award")
    await asyncio.to_thread(upgrade, "award", empty_database_url)
    async with ready_answer_of("award", empty_database_url) as response:
        assert response.status_code == 200


async def test_a_database_a_later_release_migrated_stays_ready(database_url):
    """A rolling update: the new release's pods migrated; the old release's keep serving."""
    entry = SERVICES["assessment"]
    settings = entry.settings(database_url=database_url)
    runtime = entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))
    version_table = "alembic_version" if is_sqlite(database_url) else "assessment.alembic_version"
    async with runtime.engine.begin() as connection:
        await connection.execute(text(f"UPDATE {version_table} SET version_num = '9999'"))
    await runtime.engine.dispose()
    async with ready_answer_of("assessment", database_url) as response:
        assert response.status_code == 200


async def test_an_unreachable_database_is_not_ready(template_database_url, tmp_path, caplog):
    if is_sqlite(template_database_url):
        # The service's file cannot be opened: a directory stands where it would be.
        (tmp_path / "awardpath.submission.db").mkdir()
        url = f"sqlite+aiosqlite:///{tmp_path / 'awardpath.db'}"
    else:
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    async with ready_answer_of("submission", url) as response:
        assert_not_ready(response, "database unreachable")
    # The operator reads the driver's own words in the log.
    assert [record for record in caplog.records if record.levelname == "WARNING" and "unreachable" in record.message]


async def test_evidence_file_storage_that_does_not_answer_is_not_ready(database_url, tmp_path):
    """The directory the files live in went away (a volume unmounted)."""
    entry = SERVICES["assessment"]
    settings = entry.settings(database_url=database_url, storage_path=str(tmp_path / "files"))
    runtime = entry.build_runtime(settings, InProcessTransport(RetryPolicy.of(settings)))
    app = entry.create_app(runtime)
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
            assert (await client.get("/health/ready")).status_code == 200
            (tmp_path / "files").rmdir()
            assert_not_ready(await client.get("/health/ready"), "evidence file storage unreachable")
    finally:
        await runtime.engine.dispose()
