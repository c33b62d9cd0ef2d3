"""The catalog: micro-credentials and every published version of their definitions."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_award.database import Base
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.rubrics import RubricSection
from awardpath_shared.vocabulary import DEFAULT_TURNAROUND_BUSINESS_DAYS, DecisionPolicy


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
    # Days after a final denial before the earner may start again (fresh attempts); None: never.
    restart_after_days: Mapped[int | None] = mapped_column(Integer)
    decision_policy: Mapped[DecisionPolicy] = mapped_column(EnumText(DecisionPolicy, 10))
    # How many business days (Monday to Friday) the assessment of an attempt should take.
    turnaround_business_days: Mapped[int] = mapped_column(Integer, server_default=str(DEFAULT_TURNAROUND_BUSINESS_DAYS))
    # The rubric: sections with their ordered levels and passing level.
    sections: Mapped[list[RubricSection]] = mapped_column(PydanticJson(list[RubricSection]))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)

    micro_credential: Mapped[MicroCredential] = relationship(lazy="raise")

    @property
    def issuer_id(self) -> str:
        return self.micro_credential.issuer_id
