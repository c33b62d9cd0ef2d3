"""The credential of an awarded submission: its URL and, once revoked, when.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:36:13.879958
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # SQLite keeps each service in its own file without schemas; ALTER TABLE is not
    # schema-translated like CREATE TABLE, so name none there.
    return None if op.get_context().dialect.name == "sqlite" else "submission"


def upgrade() -> None:
    op.add_column("submissions", sa.Column("credential_url", sa.Text(), nullable=True), schema=_schema())
    op.add_column(
        "submissions", sa.Column("credential_revoked_at", sa.DateTime(timezone=True), nullable=True), schema=_schema()
    )


def downgrade() -> None:
    op.drop_column("submissions", "credential_revoked_at", schema=_schema())
    op.drop_column("submissions", "credential_url", schema=_schema())
