"""decision: the attempt's evidence files, for the issuer deciding; decisions opened before
evidence files have none

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE goes past the schema translation that maps the schema away on SQLite.
    return None if op.get_context().dialect.name == "sqlite" else "award"


def upgrade() -> None:
    op.add_column("decisions", sa.Column("files", sa.JSON(), server_default="[]", nullable=False), schema=_schema())


def downgrade() -> None:
    op.drop_column("decisions", "files", schema=_schema())
