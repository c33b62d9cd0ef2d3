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
