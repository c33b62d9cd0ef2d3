"""Alembic wiring shared by every service: each service keeps its own history and schema.

A service's `migrations/env.py` calls `run_env`; `upgrade` applies a service's history
programmatically (the `awardpath migrate` command and the test fixtures use it).

On PostgreSQL a migration holds an advisory lock on its schema from before it creates the
schema until it is done: replicas that start together (each API pod migrates in an init
container) run one after the other, and the later ones find the schema at head.
"""

import asyncio
import zlib
from functools import cache

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from awardpath_shared.db import create_engine, is_sqlite

# The first half of the two-int advisory lock key of every migration ("awdp"); the second
# names the schema. The relay's locks take one bigint: a key space of their own.
MIGRATION_LOCK_CLASS = 0x61776470


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"awardpath_{service}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Apply `service`'s migrations; call from synchronous code (it runs its own loop)."""
    command.upgrade(alembic_config(service, database_url), revision)


@cache
def head_revision(service: str) -> str:
    """The revision `service`'s code expects its schema at: the head of its history (read
    from the migration scripts once per process)."""
    head = ScriptDirectory.from_config(alembic_config(service, "")).get_current_head()
    assert head, f"{service} has no migrations"
    return head


@cache
def known_revisions(service: str) -> frozenset[str]:
    """Every revision of `service`'s history this code has (a schema at another one was
    migrated by a later release)."""
    script = ScriptDirectory.from_config(alembic_config(service, ""))
    return frozenset(revision.revision for revision in script.walk_revisions())


def migration_lock_key(schema: str) -> tuple[int, int]:
    """The advisory lock key of `schema`'s migrations: two signed 32-bit ints."""
    crc = zlib.crc32(schema.encode())
    return MIGRATION_LOCK_CLASS, crc - (1 << 32) if crc >= 1 << 31 else crc


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's env.py (online mode only: migrations need a database)."""
    schema = target_metadata.schema
    assert schema, "service metadata must name its schema"
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "alembic_config() names the database"
    asyncio.run(_run_async(url, schema, target_metadata))


async def _run_async(url: str, schema: str, target_metadata: MetaData) -> None:
    engine = create_engine(url, schema)
    try:
        async with engine.connect() as connection:
            if is_sqlite(url):
                await connection.run_sync(_run_migrations, schema, target_metadata, True)
                return
            await _lock_migrations(connection, schema, "lock")
            try:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
                await connection.run_sync(_run_migrations, schema, target_metadata, False)
            finally:
                await connection.rollback()
                await _lock_migrations(connection, schema, "unlock")
    finally:
        await engine.dispose()


async def _lock_migrations(connection: AsyncConnection, schema: str, action: str) -> None:
    """Take (waiting for it) or release the session-level advisory lock of `schema`'s
    migrations; it outlives the transactions in between."""
    lock = func.pg_advisory_lock if action == "lock" else func.pg_advisory_unlock
    await connection.execute(select(lock(*migration_lock_key(schema))))
    await connection.commit()


def _run_migrations(connection: Connection, schema: str, target_metadata: MetaData, sqlite: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=None if sqlite else schema,
        include_schemas=not sqlite,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
