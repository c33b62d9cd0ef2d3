"""End-to-end tier: Awardpath as real processes, driven over real HTTP. The same tests run
on `awardpath serve all` (in-process transport, both backends) and on the services as
separate API and worker processes over Kafka on PostgreSQL.

Each way of running is started once for the tier and shared by every module that asks for
`system` (pytest runs each mode's tests together); every test makes its own issuer,
platform and earners, so none sees another's. A module that needs its own system (faults,
process kills) defines a `system` fixture of its own. The shared systems' tests run last in
the session, so no shared system idles beside the other tests (its processes poll)."""

import pytest

from tests.support.broker import kafka_env
from tests.support.databases import create_database, drop_database
from tests.support.system import ProcessSystem, RunningSystem

MODES = {
    "all-in-one-sqlite": "sqlite",
    "all-in-one-postgres": "postgres",
    "kafka-processes-postgres": "postgres",
}


@pytest.hookimpl(trylast=True)  # after pytest grouped the tests by mode
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def on_a_shared_system(item: pytest.Item) -> bool:
        callspec = getattr(item, "callspec", None)
        return item.nodeid.startswith("tests/e2e/") and callspec is not None and "system" in callspec.params

    items[:] = sorted(items, key=on_a_shared_system)  # stable: the rest keep their order


@pytest.fixture(scope="package", params=list(MODES))
async def system(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"e2e-{request.param}")
    url = await create_database(MODES[request.param], directory)
    if request.param.startswith("kafka"):
        running = ProcessSystem(url, directory, kafka_env(request.getfixturevalue("kafka_bootstrap_servers")))
    else:
        # Migrates the fresh database itself, as `awardpath serve all` does.
        running = RunningSystem(url, directory / "awardpath.log")
    running.start()
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
