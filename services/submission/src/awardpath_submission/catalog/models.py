"""The catalog as intake sees it: the latest published version of each micro-credential
(a read model of the award service's catalog, from `micro_credential.published`)."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import PydanticJson, UtcDateTime
from awardpath_shared.rubrics import RubricSection
from awardpath_submission.database import Base


class MicroCredential(Base):
    __tablename__ = "micro_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    max_attempts: Mapped[int] = mapped_column(Integer)
    # Days after a final denial before the earner may start again; None: never.
    restart_after_days: Mapped[int | None] = mapped_column(Integer)
    sections: Mapped[list[RubricSection]] = mapped_column(PydanticJson(list[RubricSection]))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
