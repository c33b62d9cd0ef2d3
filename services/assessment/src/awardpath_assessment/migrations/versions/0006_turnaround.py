"""Resubmissions come back: the earlier assessor and the hold on each attempt.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str | None:
    # ALTER TABLE and UPDATE go past the schema translation that maps the schema away on
    # SQLite (one file per service, no schemas): name the schema only where it exists.
    return None if op.get_context().dialect.name == "sqlite" else "assessment"


def upgrade() -> None:
    op.add_column("attempts", sa.Column("earlier_assessor_id", sa.String(length=100), nullable=True), schema=_schema())
    op.add_column("attempts", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True), schema=_schema())
    op.create_index(
        op.f("ix_attempts_earlier_assessor_id_state"),
        "attempts",
        ["earlier_assessor_id", "state"],
        unique=False,
        schema="assessment",
    )
    op.create_index(
        op.f("ix_attempts_state_held_until"), "attempts", ["state", "held_until"], unique=False, schema="assessment"
    )
    _backfill_earlier_assessors()


def _backfill_earlier_assessors() -> None:
    """Resubmissions stored before: who decided the most recent earlier attempt. Their holds
    stay empty (they arrived under the old rule)."""
    attempts = sa.table(
        "attempts",
        sa.column("submission_id"),
        sa.column("number"),
        sa.column("deciding_review_id"),
        sa.column("earlier_assessor_id"),
        schema=_schema(),
    )
    earlier = attempts.alias("earlier")
    reviews = sa.table("reviews", sa.column("id"), sa.column("assessor_id"), schema=_schema())
    decider = (
        sa.select(reviews.c.assessor_id)
        .select_from(earlier.join(reviews, reviews.c.id == earlier.c.deciding_review_id))
        .where(earlier.c.submission_id == attempts.c.submission_id, earlier.c.number < attempts.c.number)
        .order_by(earlier.c.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(sa.update(attempts).where(attempts.c.number > 1).values(earlier_assessor_id=decider))


def downgrade() -> None:
    op.drop_index(op.f("ix_attempts_state_held_until"), table_name="attempts", schema=_schema())
    op.drop_index(op.f("ix_attempts_earlier_assessor_id_state"), table_name="attempts", schema=_schema())
    op.drop_column("attempts", "held_until", schema=_schema())
    op.drop_column("attempts", "earlier_assessor_id", schema=_schema())
