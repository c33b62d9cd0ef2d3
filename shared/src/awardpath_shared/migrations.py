"""Alembic wiring shared by every service: each service keeps its own history and schema.

A service's `migrations/env.py` calls `run_env`; `upgrade` applies a service's history
programmatically (the `awardpath migrate` command and the test fixtures use it).
"""

import asyncio

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from awardpath_shared.db import create_engine, is_sqlite


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"awardpath_{service}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Apply `service`'s migrations; call from synchronous code (it runs its own loop)."""
    command.upgrade(alembic_config(service, database_url), revision)


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
            if not is_sqlite(url):
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
            await connection.run_sync(_run_migrations, schema, target_metadata, is_sqlite(url))
    finally:
        await engine.dispose()


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
