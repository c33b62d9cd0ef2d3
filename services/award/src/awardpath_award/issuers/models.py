"""The issuer of record: the organisation whose name is on the credentials."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_award.database import Base
from awardpath_shared.db import UtcDateTime


class Issuer(Base):
    """An issuer of record: the organisation whose name is on the credentials."""

    __tablename__ = "issuers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
