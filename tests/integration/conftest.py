"""Integration tier: service code against a migrated database, rolled back after each test."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.db import create_engine, is_sqlite
from awardpath_shared.ids import new_id
from awardpath_submission.intake.service import IntakeService
from awardpath_submission.progress.service import ProgressService
from awardpath_submission.settings import SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork
from tests.support.assessment import AssessmentCalls, published
from tests.support.databases import BACKENDS, create_database, drop_database, migrate_all
from tests.support.s3 import MotoServer, moto_s3, new_prefix


@pytest.fixture(scope="session", params=BACKENDS)
async def template_database_url(request, tmp_path_factory):
    """A migrated database nobody connects to: the original of `database_url`'s copies."""
    url = await create_database(request.param, tmp_path_factory.mktemp(f"template-{request.param}"))
    await migrate_all(url)
    yield url
    await drop_database(url)


@pytest.fixture
async def database_url(template_database_url, tmp_path):
    """A migrated database of this test's own, for tests of running apps: their requests,
    consumers and relays commit, so no transaction can be rolled back around them."""
    backend = "sqlite" if is_sqlite(template_database_url) else "postgres"
    url = await create_database(backend, tmp_path, template=template_database_url)
    yield url
    await drop_database(url)


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


@pytest.fixture
def assessment(assessment_session) -> AssessmentCalls:
    """The assessment service layer over the rolled-back session."""
    return AssessmentCalls(AssessmentUnitOfWork(assessment_session))


@pytest.fixture
async def micro_credential_id(assessment) -> str:
    """A published micro-credential the assessment service knows the rubric of."""
    micro_credential_id = new_id()
    await assessment.record_rubric(published(micro_credential_id))
    return micro_credential_id


@pytest.fixture
def submission_uow(submission_session) -> SubmissionUnitOfWork:
    return SubmissionUnitOfWork(submission_session)


@pytest.fixture
def intake(submission_uow) -> IntakeService:
    return IntakeService(submission_uow, SubmissionSettings())


@pytest.fixture
def progress(submission_uow) -> ProgressService:
    return ProgressService(submission_uow)


@pytest.fixture(scope="session")
async def s3_server(tmp_path_factory) -> AsyncIterator[MotoServer]:
    """A moto S3 server with a bucket, for the whole run; give each test its own prefix
    (`storage_overrides(new_prefix())` for `EvidenceStorageSettings`)."""
    async with moto_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def storage_overrides(request, tmp_path) -> dict:
    """Where the running apps keep evidence files: a directory of the test's own, or a prefix of
    its own in the moto server's bucket."""
    if request.param == "local":
        return {"storage_backend": "local", "storage_path": str(tmp_path / "files")}
    return request.getfixturevalue("s3_server").storage_overrides(new_prefix())
