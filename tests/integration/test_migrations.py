"""The migration check: each service's models match its Alembic history, on both backends
(what `alembic check` does: autogenerate against the migrated database finds nothing)."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData

from awardpath_shared.db import is_sqlite

SERVICES = ("submission", "assessment", "award")


def metadata_of(service: str, sqlite: bool) -> MetaData:
    """The service's tables as its database has them: SQLite keeps each service in a file of
    its own, without the schema."""
    metadata: MetaData = importlib.import_module(f"awardpath_{service}.models").Base.metadata
    if not sqlite:
        return metadata
    translated = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(translated, schema=None)
    return translated


def comparable_here(dialect: str):
    """Skip indexes the models create on another database only (`Index(...).ddl_if(...)`),
    and expression indexes (`ix_assessors_fairness_order` sorts NULLS FIRST), which
    autogenerate cannot reflect: their migrations are written by hand."""

    def include(object_, _name, type_, reflected, _compare_to) -> bool:
        if type_ != "index" or reflected:
            return True
        condition = getattr(object_, "_ddl_if", None)  # SQLAlchemy keeps ddl_if() here
        elsewhere = condition is not None and condition.dialect not in (None, dialect)
        expression = any(not isinstance(part, Column) for part in object_.expressions)
        return not (elsewhere or expression)

    return include


@pytest.mark.parametrize("service", SERVICES)
async def test_the_models_match_the_migrations(engines, migrated_database_url, service):
    sqlite = is_sqlite(migrated_database_url)
    metadata = metadata_of(service, sqlite)

    def differences(connection) -> list:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_schemas": not sqlite,
                "version_table_schema": None if sqlite else service,
                "include_name": lambda name, type_, _parent: type_ != "schema" or name in (None, service),
                "include_object": comparable_here(connection.dialect.name),
            },
        )
        return compare_metadata(context, metadata)

    async with engines(service).connect() as connection:
        found = await connection.run_sync(differences)
    assert found == [], f"{service}: models and migrations differ (write a migration): {found}"
