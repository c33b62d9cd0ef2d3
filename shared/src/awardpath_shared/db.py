"""Database helpers: one schema per service, the same models on PostgreSQL and SQLite.

On PostgreSQL each service's tables live in a schema named after the service. SQLite has
no schemas, so each service gets its own database file beside the configured one
(`awardpath.db` -> `awardpath.submission.db`) and the schema is translated away.
"""

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import JSON, DateTime, MetaData, Select, String, TypeDecorator, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import InstrumentedAttribute

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M")
SelectT = TypeVar("SelectT", bound=Select[Any])

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use awardpath_shared.ids.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PydanticJson(TypeDecorator[Any]):
    """JSON whose Python side is a pydantic type (a rubric, evidence, section results): rows
    hand back typed objects, never dicts read by string keys. Stored as plain JSON."""

    impl = JSON
    cache_ok = True

    def __init__(self, model_type: Any) -> None:
        super().__init__()
        self.model_type = model_type  # the cache key (SQLAlchemy reads the __init__ arguments)
        self._adapter: TypeAdapter[Any] = TypeAdapter(model_type)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._adapter.dump_python(value, mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._adapter.validate_python(value)


class EnumText(TypeDecorator[E]):
    """A StrEnum stored as its value in a plain string column (no database enum type to migrate)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def service_metadata(schema: str) -> MetaData:
    """The metadata of one service's declarative base: every table in that service's schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def service_database_url(url: str, schema: str) -> URL:
    """The URL this service connects to: SQLite gets a file of its own per service."""
    parsed = make_url(url)
    if not is_sqlite(parsed):
        return parsed
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise ValueError("SQLite needs a file path (each service keeps its own file beside it)")
    path = Path(database)
    service_path = path.with_name(f"{path.stem}.{schema}{path.suffix or '.db'}")
    service_path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(service_path))


def schema_execution_options(url: str | URL, schema: str) -> dict[str, Any]:
    return {"schema_translate_map": {schema: None}} if is_sqlite(url) else {}


def create_engine(url: str, schema: str, pool_size: int = 5, pool_overflow: int = 10) -> AsyncEngine:
    """The engine of one service. Connections are not pinged at every checkout (a round trip
    each): a connection found dead when used is discarded with the rest of the pool, and the
    unit of work that met it fails and is retried like any other failure."""
    service_url = service_database_url(url, schema)
    if is_sqlite(service_url):
        engine = create_async_engine(
            service_url,
            execution_options=schema_execution_options(service_url, schema),
            connect_args={"timeout": 30},
        )
    else:
        engine = create_async_engine(service_url, pool_size=pool_size, max_overflow=pool_overflow)
    if is_sqlite(service_url):
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit transactions break savepoints and read-then-write
    # atomicity; take over (SQLAlchemy's documented recipe) and begin explicitly.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the writer; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # One writer per service file: taking the write lock up front makes every writing
    # transaction serializable and avoids lock-upgrade failures under concurrency. A reading
    # one (`READ_ONLY`) takes no lock: under WAL it reads a snapshot beside the writer.
    reading = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


# The execution option of an engine whose transactions only read (`reading_sessions`).
READ_ONLY = "awardpath_read_only"


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def reading_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for transactions that only read: on SQLite they do not take the write lock."""
    return create_session_factory(engine.execution_options(**{READ_ONLY: True}))


def one_statement_sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions for a unit of work that is one statement. On PostgreSQL the statement runs in
    autocommit, its own transaction: one round trip where BEGIN, statement, COMMIT take three.
    SQLite runs in this process: its sessions stay as they are."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        return sessions
    return create_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def insert_unless_present(
    session: AsyncSession, model: type[Any], values: dict[str, Any], key: list[str]
) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING on either backend; whether a row was inserted.
    Concurrent callers with the same key all succeed: on PostgreSQL the later ones wait for
    the first to commit, then skip."""
    statement = insert_or_skip(model, tuple(key), session.get_bind().dialect.name)
    result = await session.execute(statement, values)
    return bool(getattr(result, "rowcount", 0) == 1)


# Built once per table: the values come as parameters. On the Core table: given its values
# as parameters, an ORM insert would run as a bulk insert and report no row count.
_INSERTS_OR_SKIPS: dict[tuple[str, tuple[str, ...], str, str | None], Any] = {}


def insert_or_skip(model: type[Any], key: tuple[str, ...], dialect: str, returning: str | None = None) -> Any:
    """INSERT ... ON CONFLICT (key) DO NOTHING [RETURNING column] into `model`'s table,
    built once; execute it with the row (or rows) as parameters."""
    cache_key = (f"{model.__module__}.{model.__qualname__}", key, dialect, returning)
    if cache_key not in _INSERTS_OR_SKIPS:
        table = model.__table__
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(table).on_conflict_do_nothing(index_elements=list(key))
        _INSERTS_OR_SKIPS[cache_key] = statement.returning(table.c[returning]) if returning else statement
    return _INSERTS_OR_SKIPS[cache_key]


async def upsert_returning(
    session: AsyncSession,
    model: type[M],
    key: dict[str, Any],
    values: dict[str, Any],
    on_insert: dict[str, Any] | None = None,
) -> M:
    """The `model` row with this unique `key`, inserted (with `values` and `on_insert`) or
    updated to `values`, in one round trip on either backend (INSERT ... ON CONFLICT DO
    UPDATE ... RETURNING); the row stays locked until the transaction ends."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values({**key, **values, **(on_insert or {})})
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={column: statement.excluded[column] for column in values}
    )
    row: M | None = await session.scalar(statement.returning(model), execution_options={"populate_existing": True})
    assert row is not None  # inserted or updated: RETURNING has it either way
    return row


async def add_unless_it_clashes(session: AsyncSession, row: object) -> bool:
    """Insert `row` under a savepoint; False (and nothing added) when a unique constraint
    refuses it, so the caller's transaction goes on."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def take_advisory_lock(session: AsyncSession, *key: int) -> None:
    """Hold PostgreSQL's transaction-scoped advisory lock `key` (one bigint, or two ints)
    until the transaction ends. SQLite needs none: its transactions run one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(*key)))


def keyset_page(query: SelectT, id_column: InstrumentedAttribute[str], after: str | None, limit: int | None) -> SelectT:
    """`query`'s rows past `after` (a cursor's id; None from the start) in id order, at most
    `limit`: the one way keyset listings page (ids are time-ordered: oldest first)."""
    if after is not None:
        query = query.where(id_column > after)
    return query.order_by(id_column).limit(limit)
