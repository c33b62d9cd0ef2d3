"""outbox: the trace context each event was staged in (W3C traceparent and tracestate), set on
its CloudEvent by the relay; rows staged before have none

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE goes past the schema translation that maps the schema away on SQLite.
    return None if op.get_context().dialect.name == "sqlite" else "assessment"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("trace_context", sa.JSON(), nullable=True), schema=_schema())


def downgrade() -> None:
    op.drop_column("outbox", "trace_context", schema=_schema())
