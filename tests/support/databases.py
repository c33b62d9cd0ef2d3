"""Throwaway databases for tests: a SQLite file or a fresh PostgreSQL database, migrated,
and copies of a migrated one for tests whose code under test commits."""

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from awardpath_shared.migrations import upgrade

SERVICES = ("submission", "assessment", "award")
BACKENDS = ("sqlite", "postgres")

POSTGRES_SERVER = os.environ.get("AWARDPATH_TEST_POSTGRES", "postgres@127.0.0.1:5432")


async def create_database(backend: str, directory: Path, template: str | None = None) -> str:
    """A new, empty database; or, with `template` (a migrated one nobody is connected to),
    a copy of it."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'awardpath.db'}"
        if template is not None:
            for service in SERVICES:
                shutil.copyfile(_sqlite_file(template, service), _sqlite_file(url, service))
        return url
    name = f"awardpath_test_{uuid.uuid4().hex[:12]}"
    copying = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    connection = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"{copying}')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://{POSTGRES_SERVER}/{name}"


def _sqlite_file(url: str, service: str) -> Path:
    """Where a service keeps its SQLite database (`awardpath_shared.db.service_database_url`)."""
    path = Path(url.removeprefix("sqlite+aiosqlite:///"))
    return path.with_name(f"{path.stem}.{service}{path.suffix}")


async def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrate_all(url: str) -> None:
    for service in SERVICES:
        # Alembic's env runs its own event loop, so it gets a thread of its own.
        await asyncio.to_thread(upgrade, service, url)
