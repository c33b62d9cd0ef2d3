"""lifecycle: numbered status changes (published as events); one open submission per earner
and micro-credential, when each submission ended, the issuer's restart rule

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


def _schema() -> str | None:
    # ALTER TABLE and UPDATE go past the schema translation that maps the schema away on
    # SQLite (one file per service, no schemas): name the schema only where it exists.
    return None if op.get_context().dialect.name == 'sqlite' else 'submission'


OPEN = "status IN ('submitted', 'in_review', 'awaiting_decision', 'resubmission_open')"
FINAL = ('awarded', 'denied', 'withdrawn')


def upgrade() -> None:
    op.add_column('status_changes', sa.Column('sequence', sa.Integer(), nullable=True), schema=_schema())
    # Submissions are referenced by other tables: columns are added in place (SQLite cannot
    # recreate a referenced table safely), NOT NULL through a server default.
    op.add_column(
        'submissions', sa.Column('status_sequence', sa.Integer(), server_default='0', nullable=False), schema=_schema()
    )
    _number_the_timelines()
    with op.batch_alter_table('status_changes', schema=_schema()) as batch:
        batch.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
    op.create_index(
        op.f('ix_status_changes_submission_id_sequence'), 'status_changes', ['submission_id', 'sequence'],
        unique=True, schema='submission',
    )
    op.add_column('micro_credentials', sa.Column('restart_after_days', sa.Integer(), nullable=True), schema=_schema())
    op.add_column('submissions', sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True), schema=_schema())
    submissions = sa.table(
        'submissions', sa.column('status'), sa.column('updated_at'), sa.column('ended_at'), schema=_schema()
    )
    op.execute(sa.update(submissions).where(submissions.c.status.in_(FINAL)).values(ended_at=submissions.c.updated_at))
    _refuse_two_open_submissions_of_one_earner()
    op.create_index(
        'ix_submissions_one_open_per_earner', 'submissions', ['earner_id', 'micro_credential_id'], unique=True,
        schema='submission', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN),
    )


def _refuse_two_open_submissions_of_one_earner() -> None:
    """Before this revision a platform could open several submissions for one earner and
    micro-credential. Which to keep is the platform's call, not the migration's: stop, say
    how many, and let the operator close the extra ones first (the error says how; the
    withdraw endpoint comes with this revision, so it cannot serve)."""
    submissions = sa.table(
        'submissions', sa.column('earner_id'), sa.column('micro_credential_id'), sa.column('status'),
        schema=_schema(),
    )
    doubled = (
        sa.select(submissions.c.earner_id, submissions.c.micro_credential_id)
        .where(sa.text(OPEN))
        .group_by(submissions.c.earner_id, submissions.c.micro_credential_id)
        .having(sa.func.count() > 1)
    )
    found = op.get_bind().execute(sa.select(sa.func.count()).select_from(doubled.subquery())).scalar_one()
    if found:
        raise RuntimeError(
            f'{found} earners have more than one open submission for one micro-credential, which this '
            "release allows no more. List them with: SELECT earner_id, micro_credential_id, array_agg(id) "
            "FROM submission.submissions WHERE status NOT IN ('awarded', 'denied') "
            'GROUP BY 1, 2 HAVING count(*) > 1; '
            "close all but one of each (UPDATE submission.submissions SET status = 'denied' WHERE id IN (...)), "
            'tell their platforms, then migrate again'
        )


def _number_the_timelines() -> None:
    """Existing entries numbered in the order the timeline showed them (time, then id), and
    each submission's counter at its last entry."""
    changes = sa.table(
        'status_changes', sa.column('id'), sa.column('submission_id'), sa.column('at'), sa.column('sequence'),
        schema=_schema(),
    )
    submissions = sa.table('submissions', sa.column('id'), sa.column('status_sequence'), schema=_schema())
    earlier = changes.alias('earlier')
    position = (
        sa.select(sa.func.count())
        .where(
            earlier.c.submission_id == changes.c.submission_id,
            sa.or_(earlier.c.at < changes.c.at, sa.and_(earlier.c.at == changes.c.at, earlier.c.id <= changes.c.id)),
        )
        .scalar_subquery()
    )
    op.execute(sa.update(changes).values(sequence=position))
    count = sa.select(sa.func.count()).where(changes.c.submission_id == submissions.c.id).scalar_subquery()
    op.execute(sa.update(submissions).values(status_sequence=count))


def downgrade() -> None:
    op.drop_index('ix_submissions_one_open_per_earner', table_name='submissions', schema='submission')
    op.drop_column('submissions', 'ended_at', schema=_schema())
    op.drop_column('micro_credentials', 'restart_after_days', schema=_schema())
    op.drop_index(op.f('ix_status_changes_submission_id_sequence'), table_name='status_changes', schema='submission')
    with op.batch_alter_table('status_changes', schema=_schema()) as batch:
        batch.drop_column('sequence')
    op.drop_column('submissions', 'status_sequence', schema=_schema())
