"""Resubmissions come back and turnaround: the earlier assessor and the hold on each
attempt, the turnaround target of each rubric and the due time of each attempt.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from awardpath_shared.db import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rubrics published before targets existed get the default (DEFAULT_TURNAROUND_BUSINESS_DAYS).
DEFAULT_TURNAROUND_BUSINESS_DAYS = 14


def _schema() -> str | None:
    # ALTER TABLE and UPDATE go past the schema translation that maps the schema away on
    # SQLite (one file per service, no schemas): name the schema only where it exists.
    return None if op.get_context().dialect.name == "sqlite" else "assessment"


def upgrade() -> None:
    op.add_column(
        "assignments", sa.Column("escalation_checked_at", sa.DateTime(timezone=True), nullable=True), schema=_schema()
    )
    op.add_column("attempts", sa.Column("earlier_assessor_id", sa.String(length=100), nullable=True), schema=_schema())
    op.add_column("attempts", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True), schema=_schema())
    # Every attempt has a due time. PostgreSQL: added empty, filled, then required. SQLite can
    # neither require a column later nor rebuild a table others refer to inside a transaction:
    # the column comes required with a placeholder default every row is given a value over.
    sqlite = op.get_context().dialect.name == "sqlite"
    op.add_column(
        "attempts",
        sa.Column(
            "due_at",
            sa.DateTime(timezone=True),
            nullable=not sqlite,
            server_default=sa.text("'1970-01-01 00:00:00.000000'") if sqlite else None,
        ),
        schema=_schema(),
    )
    op.add_column(
        "rubrics",
        sa.Column(
            "turnaround_business_days",
            sa.Integer(),
            server_default=str(DEFAULT_TURNAROUND_BUSINESS_DAYS),
            nullable=False,
        ),
        schema=_schema(),
    )
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
    op.create_index(op.f("ix_attempts_state_due_at"), "attempts", ["state", "due_at"], unique=False, schema="assessment")
    _backfill_earlier_assessors()
    _backfill_due_times()
    if not sqlite:
        op.alter_column("attempts", "due_at", nullable=False, schema=_schema())


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


def _backfill_due_times() -> None:
    """Attempts stored before: due the default target after their submission (every rubric
    has the default so far), computed as `turnaround.business_days.due_at` does."""
    attempts = sa.table(
        "attempts", sa.column("id"), sa.column("submitted_at", UtcDateTime()), sa.column("due_at", UtcDateTime()),
        schema=_schema(),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(attempts.c.id, attempts.c.submitted_at)).all()
    for attempt_id, submitted_at in rows:
        connection.execute(
            sa.update(attempts)
            .where(attempts.c.id == attempt_id)
            .values(due_at=_due_at(submitted_at, DEFAULT_TURNAROUND_BUSINESS_DAYS))
        )


def _due_at(submitted_at: datetime, business_days: int) -> datetime:
    """A frozen copy of `turnaround.business_days.due_at` (UTC business time, Mon-Fri)."""
    day = timedelta(days=1)

    def midnight(moment: datetime) -> datetime:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    def business_hours_from(moment: datetime) -> datetime:
        return moment if moment.weekday() < 5 else midnight(moment) + (7 - moment.weekday()) * day

    moment = business_hours_from(submitted_at.astimezone(UTC))
    remaining = business_days * day
    while True:
        end_of_day = midnight(moment) + day
        if remaining <= end_of_day - moment:
            return moment + remaining
        remaining -= end_of_day - moment
        moment = business_hours_from(end_of_day)


def downgrade() -> None:
    op.drop_index(op.f("ix_attempts_state_due_at"), table_name="attempts", schema=_schema())
    op.drop_index(op.f("ix_attempts_state_held_until"), table_name="attempts", schema=_schema())
    op.drop_index(op.f("ix_attempts_earlier_assessor_id_state"), table_name="attempts", schema=_schema())
    op.drop_column("rubrics", "turnaround_business_days", schema=_schema())
    op.drop_column("attempts", "due_at", schema=_schema())
    op.drop_column("attempts", "held_until", schema=_schema())
    op.drop_column("attempts", "earlier_assessor_id", schema=_schema())
    op.drop_column("assignments", "escalation_checked_at", schema=_schema())
