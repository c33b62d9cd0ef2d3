"""End-to-end tier: `awardpath serve all` as a real process, driven over real HTTP."""

import pytest

from tests.support.databases import BACKENDS, create_database, drop_database
from tests.support.system import RunningSystem


@pytest.fixture(scope="module", params=BACKENDS)
async def system(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"e2e-{request.param}")
    url = await create_database(request.param, directory)
    running = RunningSystem(url, directory / "awardpath.log")
    running.start()  # migrates the fresh database itself, as `awardpath serve all` does
    yield running
    running.stop()
    await drop_database(url)


@pytest.fixture
async def clients(system):
    opened = []

    def make(service: str, role: str, subject: str):
        client = system.client(service, role, subject)
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()
