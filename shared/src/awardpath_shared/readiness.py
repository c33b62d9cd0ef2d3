"""Whether a service can serve: its database answers and its schema is the one its code expects.

`/health/ready` asks this. The expected revision is the head of the service's Alembic
history, read from its migration scripts once per process; each check is one query of the
`alembic_version` row in the service's schema (its own file on SQLite). What went wrong is
logged with the driver's words; the answer names it generically, for anyone who can reach
the endpoint.
"""

import asyncio
import logging

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from awardpath_shared.migrations import head_revision, known_revisions

logger = logging.getLogger(__name__)

# A readiness check gives up (the database counts as unreachable) after this long.
READY_CHECK_SECONDS = 5.0

UNREACHABLE = "database unreachable"


class SchemaCheck:
    """The readiness check of one service: None when it can serve, else what is wrong."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.expected = head_revision(service)
        self.known = known_revisions(service)
        version_table = Table("alembic_version", MetaData(schema=service), Column("version_num", String(32)))
        self.statement = select(version_table.c.version_num)
        self.behind = f"schema not at {self.expected}: run awardpath migrate {service}"

    async def problem(self, engine: AsyncEngine) -> str | None:
        try:
            async with asyncio.timeout(READY_CHECK_SECONDS):
                versions = await self._versions(engine)
        except Exception as error:  # readiness reports, never raises
            logger.warning("not ready: %s: %r", UNREACHABLE, error)
            return UNREACHABLE
        if versions is None:
            return self.behind
        if self.expected in versions:
            return None
        if not versions or versions & self.known:
            logger.warning("not ready: %s schema at %s, the code at %s", self.service, sorted(versions), self.expected)
            return self.behind
        # A revision this code does not know: a later release migrated the schema (its
        # migrations keep the previous release working, so a rolling update serves on).
        return None

    async def _versions(self, engine: AsyncEngine) -> set[str] | None:
        """The revisions the schema is at; None when it has no version table (never migrated)."""
        async with engine.connect() as connection:
            try:
                return set((await connection.execute(self.statement)).scalars())
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise
                logger.warning("not ready: %s schema has no version table: %r", self.service, error)
                return None
