"""assignments: why an assessor released one (conflict of interest, no time, outside their
expertise, other; released before this, or without a reason: none), and the index the
administrators' list of releases, latest first, reads

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE goes past the schema translation that maps the schema away on SQLite.
    return None if op.get_context().dialect.name == "sqlite" else "assessment"


def upgrade() -> None:
    op.add_column("assignments", sa.Column("release_reason", sa.String(30), nullable=True), schema=_schema())
    op.create_index(
        op.f("ix_assignments_state_ended_at_id"), "assignments", ["state", "ended_at", "id"], schema="assessment"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assignments_state_ended_at_id"), table_name="assignments", schema="assessment")
    op.drop_column("assignments", "release_reason", schema=_schema())
