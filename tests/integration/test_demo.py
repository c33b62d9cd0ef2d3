"""The demo seed of `make run` (`awardpath serve all --demo`) against the running apps: it
finds what it made before in the databases themselves, whatever `var/demo.env` says."""

from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient

from awardpath.demo import DEMO_ASSESSOR, DEMO_ISSUER, DEMO_MICRO_CREDENTIAL, seed_demo
from awardpath_shared.auth import TokenVerifier
from awardpath_shared.db import is_sqlite
from awardpath_shared.settings import ServiceSettings
from tests.support.databases import SERVICES, create_database, drop_database
from tests.support.in_process import running_apps

SECRET = "test-secret-for-the-demo"
SETTINGS = ServiceSettings(jwt_secret=SECRET)
URLS = {name: f"http://{name}" for name in SERVICES}


@asynccontextmanager
async def seeding(database_url: str, **per_service_url: str):
    """The running apps (a service may use a database of its own) and a client reaching each
    at its URL in `URLS`."""
    moved = {name: {"database_url": url} for name, url in per_service_url.items()}
    async with running_apps(database_url, SECRET, per_service=moved) as apps:
        mounts = {f"{URLS[name]}/": ASGITransport(app=app) for name, app in apps.items()}
        async with AsyncClient(mounts=mounts) as client:
            yield client


def read_env(env_file: Path) -> dict[str, str]:
    lines = env_file.read_text().splitlines()
    return dict(line.removeprefix("export ").split("=", 1) for line in lines)


async def assert_consistent(client: AsyncClient, env_file: Path) -> dict[str, str]:
    """`env_file` names records the databases hold, tied together, and tokens that work."""
    env = read_env(env_file)
    admin = {"Authorization": f"Bearer {env['ADMIN_TOKEN']}"}
    micro_credential = await client.get(f"{env['AWARD_URL']}/v1/micro-credentials/{env['MICRO_CREDENTIAL_ID']}")
    assert micro_credential.status_code == 200, micro_credential.text
    assert micro_credential.json()["title"] == DEMO_MICRO_CREDENTIAL["title"]
    assert micro_credential.json()["issuer_id"] == env["ISSUER_ID"]
    issuer = await client.get(f"{env['AWARD_URL']}/v1/issuers/{env['ISSUER_ID']}")
    assert issuer.status_code == 200 and issuer.json()["name"] == DEMO_ISSUER["name"]
    assessor = await client.get(f"{env['ASSESSMENT_URL']}/v1/assessors/{DEMO_ASSESSOR}", headers=admin)
    assert env["MICRO_CREDENTIAL_ID"] in assessor.json()["micro_credential_ids"]
    queue = await client.get(
        f"{env['ASSESSMENT_URL']}/v1/queue", headers={"Authorization": f"Bearer {env['ASSESSOR_TOKEN']}"}
    )
    assert queue.status_code == 200, queue.text
    issuer_caller = TokenVerifier(SETTINGS).verify(env["ISSUER_TOKEN"])
    assert (issuer_caller.role, issuer_caller.subject) == ("issuer", env["ISSUER_ID"])
    return env


async def demo_entries(client: AsyncClient) -> list[str]:
    catalog = await client.get(f"{URLS['award']}/v1/micro-credentials", params={"limit": 200})
    return [entry["id"] for entry in catalog.json()["items"] if entry["title"] == DEMO_MICRO_CREDENTIAL["title"]]


async def test_seeding_again_finds_the_records_seeded_before(database_url, tmp_path):
    env_file = tmp_path / "var" / "demo.env"
    async with seeding(database_url) as client:
        first = await seed_demo(SETTINGS, URLS, env_file, client)
        second = await seed_demo(SETTINGS, URLS, env_file, client)
        env_file.unlink()  # no hint at all: found in the databases all the same
        third = await seed_demo(SETTINGS, URLS, env_file, client)
        env = await assert_consistent(client, env_file)
        assert await demo_entries(client) == [first["MICRO_CREDENTIAL_ID"]]
    ids = [(seeded["ISSUER_ID"], seeded["MICRO_CREDENTIAL_ID"]) for seeded in (first, second, third, env)]
    assert len(set(ids)) == 1


@pytest.mark.parametrize("moved", [("award",), SERVICES], ids=["award-database-replaced", "every-database-replaced"])
async def test_seeding_with_a_demo_env_of_another_database(database_url, template_database_url, tmp_path, moved):
    env_file = tmp_path / "var" / "demo.env"
    async with seeding(database_url) as client:
        before = await seed_demo(SETTINGS, URLS, env_file, client)
    # Some services now use a fresh database (another AWARDPATH_DATABASE_URL, a deleted award
    # database): demo.env names records they do not hold, while the others hold the demo
    # assessor and issuer made before.
    backend = "sqlite" if is_sqlite(database_url) else "postgres"
    (tmp_path / "other").mkdir()
    other = await create_database(backend, tmp_path / "other", template=template_database_url)
    try:
        async with seeding(database_url, **dict.fromkeys(moved, other)) as client:
            after = await seed_demo(SETTINGS, URLS, env_file, client)
            again = await seed_demo(SETTINGS, URLS, env_file, client)
            env = await assert_consistent(client, env_file)
            assert await demo_entries(client) == [after["MICRO_CREDENTIAL_ID"]]
    finally:
        await drop_database(other)
    assert after["MICRO_CREDENTIAL_ID"] != before["MICRO_CREDENTIAL_ID"]
    assert after["ISSUER_ID"] == again["ISSUER_ID"] == env["ISSUER_ID"]
    assert after["MICRO_CREDENTIAL_ID"] == again["MICRO_CREDENTIAL_ID"] == env["MICRO_CREDENTIAL_ID"]
