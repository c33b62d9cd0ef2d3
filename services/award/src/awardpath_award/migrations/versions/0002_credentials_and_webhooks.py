"""Credentials and webhooks: issuer keys (sealed), recipients (salted identity hashes),
status lists, credentials; webhook endpoints, messages, deliveries and their attempts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:36:11.696423
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipients",
        sa.Column("submission_id", sa.String(length=100), nullable=False),
        sa.Column("platform_id", sa.String(length=100), nullable=False),
        sa.Column("identity_type", sa.String(length=30), nullable=False),
        sa.Column("identity_hash", sa.String(length=100), nullable=False),
        sa.Column("salt", sa.String(length=100), nullable=False),
        sa.Column("identified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_recipients")),
        schema="award",
    )
    op.create_index(op.f("ix_recipients_platform_id"), "recipients", ["platform_id"], unique=False, schema="award")
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.String(length=100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("sealed_previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        schema="award",
    )
    op.create_index(op.f("ix_webhook_endpoints_platform_id"), "webhook_endpoints", ["platform_id"], unique=False, schema="award")
    op.create_table(
        "webhook_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_messages")),
        schema="award",
    )
    op.create_index(op.f("ix_webhook_messages_fanned_out_at"), "webhook_messages", ["fanned_out_at"], unique=False, schema="award")
    op.create_index(op.f("ix_webhook_messages_submission_id"), "webhook_messages", ["submission_id"], unique=False, schema="award")
    op.create_table(
        "issuer_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("public_key_multibase", sa.String(length=100), nullable=False),
        sa.Column("sealed_private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["issuer_id"], ["award.issuers.id"], name=op.f("fk_issuer_keys_issuer_id_issuers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_keys")),
        sa.UniqueConstraint("public_key_multibase", name=op.f("uq_issuer_keys_public_key_multibase")),
        schema="award",
    )
    op.create_index(op.f("ix_issuer_keys_issuer_id"), "issuer_keys", ["issuer_id"], unique=False, schema="award")
    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["award.issuers.id"], name=op.f("fk_status_lists_issuer_id_issuers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
        schema="award",
    )
    op.create_index(op.f("ix_status_lists_issuer_id"), "status_lists", ["issuer_id"], unique=False, schema="award")
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("give_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state in ('pending', 'delivered', 'failed')", name=op.f("ck_webhook_deliveries_state")),
        sa.ForeignKeyConstraint(["endpoint_id"], ["award.webhook_endpoints.id"], name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints")),
        sa.ForeignKeyConstraint(["message_id"], ["award.webhook_messages.id"], name=op.f("fk_webhook_deliveries_message_id_webhook_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("endpoint_id", "message_id", name=op.f("uq_webhook_deliveries_endpoint_id_message_id")),
        schema="award",
    )
    op.create_index(op.f("ix_webhook_deliveries_endpoint_id"), "webhook_deliveries", ["endpoint_id"], unique=False, schema="award")
    op.create_index("ix_webhook_deliveries_state_next_attempt_at", "webhook_deliveries", ["state", "next_attempt_at"], unique=False, schema="award")
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["award.webhook_deliveries.id"], name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        schema="award",
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"], unique=False, schema="award")
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=False),
        sa.Column("submission_id", sa.String(length=100), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("status_list_id", sa.String(length=36), nullable=False),
        sa.Column("status_list_index", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.awards.id"], name=op.f("fk_credentials_award_id_awards")),
        sa.ForeignKeyConstraint(["issuer_id"], ["award.issuers.id"], name=op.f("fk_credentials_issuer_id_issuers")),
        sa.ForeignKeyConstraint(["key_id"], ["award.issuer_keys.id"], name=op.f("fk_credentials_key_id_issuer_keys")),
        sa.ForeignKeyConstraint(["status_list_id"], ["award.status_lists.id"], name=op.f("fk_credentials_status_list_id_status_lists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("award_id", name=op.f("uq_credentials_award_id")),
        sa.UniqueConstraint("status_list_id", "status_list_index", name=op.f("uq_credentials_status_list_id_status_list_index")),
        schema="award",
    )
    op.create_index(op.f("ix_credentials_issuer_id"), "credentials", ["issuer_id"], unique=False, schema="award")
    op.create_index(op.f("ix_credentials_submission_id"), "credentials", ["submission_id"], unique=False, schema="award")


def downgrade() -> None:
    op.drop_index(op.f("ix_credentials_submission_id"), table_name="credentials", schema="award")
    op.drop_index(op.f("ix_credentials_issuer_id"), table_name="credentials", schema="award")
    op.drop_table("credentials", schema="award")
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts", schema="award")
    op.drop_table("webhook_attempts", schema="award")
    op.drop_index("ix_webhook_deliveries_state_next_attempt_at", table_name="webhook_deliveries", schema="award")
    op.drop_index(op.f("ix_webhook_deliveries_endpoint_id"), table_name="webhook_deliveries", schema="award")
    op.drop_table("webhook_deliveries", schema="award")
    op.drop_index(op.f("ix_status_lists_issuer_id"), table_name="status_lists", schema="award")
    op.drop_table("status_lists", schema="award")
    op.drop_index(op.f("ix_issuer_keys_issuer_id"), table_name="issuer_keys", schema="award")
    op.drop_table("issuer_keys", schema="award")
    op.drop_index(op.f("ix_webhook_messages_submission_id"), table_name="webhook_messages", schema="award")
    op.drop_index(op.f("ix_webhook_messages_fanned_out_at"), table_name="webhook_messages", schema="award")
    op.drop_table("webhook_messages", schema="award")
    op.drop_index(op.f("ix_webhook_endpoints_platform_id"), table_name="webhook_endpoints", schema="award")
    op.drop_table("webhook_endpoints", schema="award")
    op.drop_index(op.f("ix_recipients_platform_id"), table_name="recipients", schema="award")
    op.drop_table("recipients", schema="award")
