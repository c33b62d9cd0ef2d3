"""evidence files: uploads in parts, verified files, what evidence names them, their deletion

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("declared_media_type", sa.String(length=100), nullable=False),
        sa.Column("declared_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("part_size", sa.BigInteger(), nullable=False),
        sa.Column("upload_ref", sa.String(length=1024), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("stored_size", sa.BigInteger(), nullable=True),
        sa.Column("stored_sha256", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.String(length=36), nullable=True),
        sa.Column("first_attempt", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deletion_reason", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        schema="submission",
    )
    op.create_index(
        op.f("ix_evidence_files_state_expires_at"), "evidence_files", ["state", "expires_at"], schema="submission"
    )
    op.create_index(
        op.f("ix_evidence_files_submission_id_state"), "evidence_files", ["submission_id", "state"], schema="submission"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_files_submission_id_state"), table_name="evidence_files", schema="submission")
    op.drop_index(op.f("ix_evidence_files_state_expires_at"), table_name="evidence_files", schema="submission")
    op.drop_table("evidence_files", schema="submission")
