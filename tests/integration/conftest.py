"""Integration tier: service code against a migrated database, rolled back after each test."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.db import create_engine


@pytest.fixture(scope="session")
async def engines(migrated_database_url):
    created = {}

    def engine_for(service: str):
        if service not in created:
            created[service] = create_engine(migrated_database_url, service)
        return created[service]

    yield engine_for
    for engine in created.values():
        await engine.dispose()


async def _rollback_session(engine):
    async with engine.connect() as connection:
        transaction = await connection.begin()
        # The code under test may commit: with savepoints its commits stay inside our
        # outer transaction, which is rolled back so every test starts clean.
        session = AsyncSession(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
async def submission_session(engines):
    async for session in _rollback_session(engines("submission")):
        yield session


@pytest.fixture
async def assessment_session(engines):
    async for session in _rollback_session(engines("assessment")):
        yield session


@pytest.fixture
async def award_session(engines):
    async for session in _rollback_session(engines("award")):
        yield session
