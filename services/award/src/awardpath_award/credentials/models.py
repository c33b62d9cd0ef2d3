"""Signed credentials of awards and the status lists that can revoke them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_award.credentials.status_lists import with_bit_set
from awardpath_award.database import Base
from awardpath_shared.db import UtcDateTime
from awardpath_shared.errors import Conflict


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

    def take_index(self) -> int:
        """The next free index (the caller holds the row locked)."""
        index = self.next_index
        self.next_index += 1
        return index

    def set_bit(self, index: int, now: datetime) -> None:
        self.bits = with_bit_set(self.bits, index)
        self.updated_at = now


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

    def revoke(self, reason: str, now: datetime) -> None:
        """Revoked once: a second revocation is a conflict."""
        if self.revoked_at is not None:
            raise Conflict("already-revoked", "Credential already revoked", f"credential {self.id!r} was revoked")
        self.revoked_at = now
        self.revocation_reason = reason
