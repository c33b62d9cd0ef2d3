"""lifecycle: every endpoint's deliveries in a numbered line

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE and UPDATE go past the schema translation that maps the schema away on
    # SQLite (one file per service, no schemas): name the schema only where it exists.
    return None if op.get_context().dialect.name == 'sqlite' else 'award'


def upgrade() -> None:
    # Both tables are referenced by others: columns are added in place (SQLite cannot
    # recreate a referenced table safely), NOT NULL through a server default.
    op.add_column(
        'webhook_endpoints', sa.Column('last_position', sa.Integer(), server_default='0', nullable=False),
        schema=_schema(),
    )
    op.add_column(
        'webhook_deliveries', sa.Column('position', sa.Integer(), server_default='0', nullable=False),
        schema=_schema(),
    )
    _line_up_the_deliveries()
    op.create_index(
        op.f('ix_webhook_deliveries_endpoint_id_position'), 'webhook_deliveries', ['endpoint_id', 'position'],
        unique=True, schema='award',
    )
    op.create_index(
        op.f('ix_webhook_deliveries_endpoint_id_state_position'), 'webhook_deliveries',
        ['endpoint_id', 'state', 'position'], unique=False, schema='award',
    )


def _line_up_the_deliveries() -> None:
    """Existing deliveries lined up in the order they were made (their time-ordered ids),
    and each endpoint's counter at its last."""
    deliveries = sa.table(
        'webhook_deliveries', sa.column('id'), sa.column('endpoint_id'), sa.column('position'), schema=_schema()
    )
    endpoints = sa.table('webhook_endpoints', sa.column('id'), sa.column('last_position'), schema=_schema())
    earlier = deliveries.alias('earlier')
    position = (
        sa.select(sa.func.count())
        .where(earlier.c.endpoint_id == deliveries.c.endpoint_id, earlier.c.id <= deliveries.c.id)
        .scalar_subquery()
    )
    op.execute(sa.update(deliveries).values(position=position))
    count = sa.select(sa.func.count()).where(deliveries.c.endpoint_id == endpoints.c.id).scalar_subquery()
    op.execute(sa.update(endpoints).values(last_position=count))


def downgrade() -> None:
    op.drop_index(
        op.f('ix_webhook_deliveries_endpoint_id_state_position'), table_name='webhook_deliveries', schema='award'
    )
    op.drop_index(op.f('ix_webhook_deliveries_endpoint_id_position'), table_name='webhook_deliveries', schema='award')
    op.drop_column('webhook_deliveries', 'position', schema=_schema())
    op.drop_column('webhook_endpoints', 'last_position', schema=_schema())
