"""catalog: the turnaround target of each micro-credential version

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:30:00
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
    return None if op.get_context().dialect.name == "sqlite" else "award"


def upgrade() -> None:
    # Versions published before targets existed get the default (DEFAULT_TURNAROUND_BUSINESS_DAYS).
    op.add_column(
        "micro_credential_versions",
        sa.Column("turnaround_business_days", sa.Integer(), server_default="14", nullable=False),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_column("micro_credential_versions", "turnaround_business_days", schema=_schema())
