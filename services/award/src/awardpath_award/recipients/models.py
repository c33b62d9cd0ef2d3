"""Who an award goes to, as a credential may name them."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_award.database import Base
from awardpath_shared.db import UtcDateTime


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
