"""Initial award schema: issuers, the versioned catalog, decisions, awards, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 12:15:17.039758
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issuers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuers")),
        schema="award",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="award",
    )
    op.create_index(op.f("ix_outbox_key"), "outbox", ["key"], unique=False, schema="award")
    op.create_index(op.f("ix_outbox_sent_at"), "outbox", ["sent_at"], unique=False, schema="award")
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
        schema="award",
    )
    op.create_table(
        "micro_credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["award.issuers.id"], name=op.f("fk_micro_credentials_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_micro_credentials")),
        schema="award",
    )
    op.create_index(
        op.f("ix_micro_credentials_issuer_id"), "micro_credentials", ["issuer_id"], unique=False, schema="award"
    )
    op.create_table(
        "micro_credential_versions",
        sa.Column("micro_credential_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("competency", sa.Text(), nullable=False),
        sa.Column("key_method", sa.Text(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("decision_policy", sa.String(length=10), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision_policy in ('manual', 'auto')", name=op.f("ck_micro_credential_versions_decision_policy")
        ),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_micro_credential_versions_max_attempts")),
        sa.ForeignKeyConstraint(
            ["micro_credential_id"],
            ["award.micro_credentials.id"],
            name=op.f("fk_micro_credential_versions_micro_credential_id_micro_credentials"),
        ),
        sa.PrimaryKeyConstraint("micro_credential_id", "version", name=op.f("pk_micro_credential_versions")),
        schema="award",
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("review_id", sa.String(length=100), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("micro_credential_id", sa.String(length=36), nullable=False),
        sa.Column("micro_credential_version", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("resubmission_allowed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("award_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("state in ('pending', 'decided')", name=op.f("ck_decisions_state")),
        sa.ForeignKeyConstraint(["issuer_id"], ["award.issuers.id"], name=op.f("fk_decisions_issuer_id_issuers")),
        sa.ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["award.micro_credential_versions.micro_credential_id", "award.micro_credential_versions.version"],
            name=op.f("fk_decisions_micro_credential_id_micro_credential_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("submission_id", "attempt", name=op.f("uq_decisions_submission_id_attempt")),
        schema="award",
    )
    op.create_index(
        "ix_decisions_issuer_id_state_id", "decisions", ["issuer_id", "state", "id"], unique=False, schema="award"
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("micro_credential_id", sa.String(length=36), nullable=False),
        sa.Column("micro_credential_version", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["award.decisions.id"], name=op.f("fk_awards_decision_id_decisions")),
        sa.ForeignKeyConstraint(["issuer_id"], ["award.issuers.id"], name=op.f("fk_awards_issuer_id_issuers")),
        sa.ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["award.micro_credential_versions.micro_credential_id", "award.micro_credential_versions.version"],
            name=op.f("fk_awards_micro_credential_id_micro_credential_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_awards_decision_id")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_awards_submission_id")),
        schema="award",
    )


def downgrade() -> None:
    op.drop_table("awards", schema="award")
    op.drop_index("ix_decisions_issuer_id_state_id", table_name="decisions", schema="award")
    op.drop_table("decisions", schema="award")
    op.drop_table("micro_credential_versions", schema="award")
    op.drop_index(op.f("ix_micro_credentials_issuer_id"), table_name="micro_credentials", schema="award")
    op.drop_table("micro_credentials", schema="award")
    op.drop_table("processed_events", schema="award")
    op.drop_index(op.f("ix_outbox_sent_at"), table_name="outbox", schema="award")
    op.drop_index(op.f("ix_outbox_key"), table_name="outbox", schema="award")
    op.drop_table("outbox", schema="award")
    op.drop_table("issuers", schema="award")
