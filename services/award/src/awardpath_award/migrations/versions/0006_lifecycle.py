"""lifecycle: every endpoint's deliveries in a numbered line; withdrawn submissions,
cancelled decisions; the restart rule of a micro-credential

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE and UPDATE go past the schema translation that maps the schema away on
    # SQLite (one file per service, no schemas): name the schema only where it exists.
    return None if op.get_context().dialect.name == 'sqlite' else 'award'


DECISION_STATES_BEFORE = "state in ('pending', 'decided')"
DECISION_STATES = "state in ('pending', 'decided', 'cancelled')"


def upgrade() -> None:
    op.create_table('withdrawals',
    sa.Column('submission_id', sa.String(length=100), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_withdrawals')),
    schema='award'
    )
    op.add_column('decisions', sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True), schema=_schema())
    op.add_column(
        'micro_credential_versions', sa.Column('restart_after_days', sa.Integer(), nullable=True), schema=_schema()
    )
    _decision_states(DECISION_STATES_BEFORE, DECISION_STATES)
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


def _decision_states(before: str, after: str) -> None:
    """The decisions' state check allows `after` in place of `before`.

    SQLite cannot alter a CHECK, and recreating `decisions` (awards refer to it) would break
    their foreign keys inside the migration's transaction; so its table definition is edited
    in place, the procedure SQLite documents for changing a CHECK (no stored row changes:
    https://sqlite.org/lang_altertable.html#otheralter), then checked."""
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_decisions_state'), 'decisions', type_='check', schema='award')
        op.create_check_constraint(op.f('ck_decisions_state'), 'decisions', after, schema='award')
        return
    connection = op.get_bind()
    version = connection.exec_driver_sql('PRAGMA schema_version').scalar_one()
    connection.exec_driver_sql('PRAGMA writable_schema=ON')
    changed = connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'decisions' AND instr(sql, ?)",
        (before, after, before),
    ).rowcount
    connection.exec_driver_sql(f'PRAGMA schema_version={version + 1}')
    connection.exec_driver_sql('PRAGMA writable_schema=OFF')
    if changed != 1 or connection.exec_driver_sql('PRAGMA integrity_check').scalar_one() != 'ok':
        raise RuntimeError(f'could not change the check of decisions.state to {after!r}')


def downgrade() -> None:
    decisions = sa.table('decisions', sa.column('state'), schema=_schema())
    cancelled = op.get_bind().execute(sa.select(sa.func.count()).where(decisions.c.state == 'cancelled')).scalar_one()
    if cancelled:
        # Made pending again they could be decided: the earlier schema has no word for them.
        raise RuntimeError(f'{cancelled} cancelled decisions: the revision before 0006 cannot hold them')
    _decision_states(DECISION_STATES, DECISION_STATES_BEFORE)
    op.drop_column('micro_credential_versions', 'restart_after_days', schema=_schema())
    op.drop_column('decisions', 'cancelled_at', schema=_schema())
    op.drop_table('withdrawals', schema='award')
    op.drop_index(
        op.f('ix_webhook_deliveries_endpoint_id_state_position'), table_name='webhook_deliveries', schema='award'
    )
    op.drop_index(op.f('ix_webhook_deliveries_endpoint_id_position'), table_name='webhook_deliveries', schema='award')
    op.drop_column('webhook_deliveries', 'position', schema=_schema())
    op.drop_column('webhook_endpoints', 'last_position', schema=_schema())
