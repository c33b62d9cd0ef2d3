"""decision: the assessor's private note to the issuer

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:36:17.823304
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE goes past the schema translation that maps the schema away on SQLite.
    return None if op.get_context().dialect.name == 'sqlite' else 'award'


def upgrade() -> None:
    op.add_column('decisions', sa.Column('assessor_note', sa.Text(), nullable=True), schema=_schema())


def downgrade() -> None:
    op.drop_column('decisions', 'assessor_note', schema=_schema())
