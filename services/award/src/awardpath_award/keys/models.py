"""Issuer signing keys: Ed25519, the private half sealed at rest with the master key."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_award.database import Base
from awardpath_shared.db import UtcDateTime


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
