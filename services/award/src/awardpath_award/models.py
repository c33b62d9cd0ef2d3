"""Award tables (schema `award`). Relationships never load lazily."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_shared.db import UtcDateTime, make_base
from awardpath_shared.messaging.inbox import ProcessedEventMixin
from awardpath_shared.messaging.outbox import OutboxMessageMixin

Base = make_base("award")


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_events"


class Issuer(Base):
    """An issuer of record: the organisation whose name is on the credentials."""

    __tablename__ = "issuers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MicroCredential(Base):
    """A catalog entry; its definitions are the versions, every one kept."""

    __tablename__ = "micro_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MicroCredentialVersion(Base):
    """One published definition; submissions and decisions refer to the exact version."""

    __tablename__ = "micro_credential_versions"
    __table_args__ = (
        CheckConstraint("decision_policy in ('manual', 'auto')", name="decision_policy"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
    )

    micro_credential_id: Mapped[str] = mapped_column(ForeignKey("micro_credentials.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    competency: Mapped[str] = mapped_column(Text)
    key_method: Mapped[str] = mapped_column(Text)
    max_attempts: Mapped[int] = mapped_column(Integer)
    decision_policy: Mapped[str] = mapped_column(String(10))
    # The rubric: [{id, title, prompt, evidence, required, levels[{id, name, description}], passing_level}]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)

    micro_credential: Mapped[MicroCredential] = relationship(lazy="raise")


class Decision(Base):
    """The issuer's decision on one attempt, pending until the issuer (or policy) decides."""

    __tablename__ = "decisions"
    __table_args__ = (
        # One decision per attempt, even if the assessment is delivered twice.
        UniqueConstraint("submission_id", "attempt"),
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["micro_credential_versions.micro_credential_id", "micro_credential_versions.version"],
        ),
        CheckConstraint("state in ('pending', 'decided')", name="state"),
        Index("ix_decisions_issuer_id_state_id", "issuer_id", "state", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Opaque id of the assessment's review; the assessor's identity never reaches us.
    review_id: Mapped[str] = mapped_column(String(100))
    submission_id: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(String(36))
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    recommendation: Mapped[str] = mapped_column(String(20))
    # The assessor's results: [{section_id, level, feedback}]
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The assessor's private note to the issuer (never sent on to the earner).
    assessor_note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str | None] = mapped_column(String(10))
    resubmission_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    award_id: Mapped[str | None] = mapped_column(String(36))

    # The exact definition the attempt was assessed against (title, max_attempts).
    definition: Mapped[MicroCredentialVersion] = relationship(lazy="raise")


class Award(Base):
    """An awarded attempt: what credential issuance signs. At most one per submission."""

    __tablename__ = "awards"
    __table_args__ = (
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["micro_credential_versions.micro_credential_id", "micro_credential_versions.version"],
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), unique=True)
    submission_id: Mapped[str] = mapped_column(String(100), unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(String(36))
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime)


# ---- credentials -----------------------------------------------------------------------


class IssuerKey(Base):
    """An issuer's Ed25519 signing key; the private half sealed with the master key. The
    active key has no `retired_at`; retired keys stay published for verification."""

    __tablename__ = "issuer_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    public_key_multibase: Mapped[str] = mapped_column(String(100), unique=True)
    sealed_private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Recipient(Base):
    """Who an award goes to, as a credential may say it (from `recipient.identified`): the
    salted hash of the earner's email, never the email; and the platform, for webhooks."""

    __tablename__ = "recipients"

    submission_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100), index=True)
    identity_type: Mapped[str] = mapped_column(String(30))
    identity_hash: Mapped[str] = mapped_column(String(100))
    salt: Mapped[str] = mapped_column(String(100))
    identified_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StatusList(Base):
    """A Bitstring Status List (revocation) of one issuer, and its signed credential."""

    __tablename__ = "status_lists"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    next_index: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    # The signed BitstringStatusListCredential as served; re-signed on every change.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Credential(Base):
    """The signed Open Badges 3.0 credential of an award: issued once per award."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_list_index"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    award_id: Mapped[str] = mapped_column(ForeignKey("awards.id"), unique=True)
    submission_id: Mapped[str] = mapped_column(String(100), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("issuer_keys.id"))
    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    status_list_index: Mapped[int] = mapped_column(Integer)
    # The JSON-LD credential with its Data Integrity proof, and the same credential as a VC-JWT.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    jwt: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)


# ---- webhooks --------------------------------------------------------------------------


class WebhookEndpoint(Base):
    """A platform's webhook receiver. Secrets are sealed with the master key; during a
    rotation the previous secret signs too, until `previous_secret_expires_at`."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    sealed_secret: Mapped[str] = mapped_column(Text)
    sealed_previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookMessage(Base):
    """One webhook event about a submission; its id is the `webhook-id` every endpoint and
    every retry receives. Fanned out to endpoints once the submission's platform is known."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(100), index=True)
    event_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class WebhookDelivery(Base):
    """A message to one endpoint: pending until delivered, or failed after the retry window."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id"),
        CheckConstraint("state in ('pending', 'delivered', 'failed')", name="state"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id"))
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    give_up_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    message: Mapped[WebhookMessage] = relationship(lazy="raise")


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
