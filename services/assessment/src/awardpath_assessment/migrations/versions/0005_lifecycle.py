"""lifecycle: withdrawn submissions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Attempts and assignments gain states (`withdrawn`, `cancelled`): plain strings, no change.
    op.create_table('withdrawals',
    sa.Column('submission_id', sa.String(length=100), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_withdrawals')),
    schema='assessment'
    )


def downgrade() -> None:
    op.drop_table('withdrawals', schema='assessment')
