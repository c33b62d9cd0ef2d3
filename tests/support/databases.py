"""Throwaway databases for tests: a SQLite file or a fresh PostgreSQL database, migrated."""

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg

from awardpath_shared.migrations import upgrade

SERVICES = ("submission", "assessment", "award")
BACKENDS = ("sqlite", "postgres")

POSTGRES_SERVER = os.environ.get("AWARDPATH_TEST_POSTGRES", "postgres@127.0.0.1:5432")


async def create_database(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'awardpath.db'}"
    name = f"awardpath_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://{POSTGRES_SERVER}/{name}"


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
