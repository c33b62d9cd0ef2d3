"""The rubrics as assessment sees them: one per published micro-credential version (a read
model of the award service's catalog, from `micro_credential.published`)."""

from datetime import datetime

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_assessment.database import FOREIGN_ID, Base
from awardpath_shared.db import PydanticJson, UtcDateTime
from awardpath_shared.rubrics import RubricSection
from awardpath_shared.vocabulary import DEFAULT_TURNAROUND_BUSINESS_DAYS


class Rubric(Base):
    __tablename__ = "rubrics"

    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    competency: Mapped[str] = mapped_column(Text)
    key_method: Mapped[str] = mapped_column(Text)
    sections: Mapped[list[RubricSection]] = mapped_column(PydanticJson(list[RubricSection]))
    # The turnaround target: an attempt is due this many business days after submission.
    turnaround_business_days: Mapped[int] = mapped_column(Integer, server_default=str(DEFAULT_TURNAROUND_BUSINESS_DAYS))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def section_ids(self) -> list[str]:
        return [section.id for section in self.sections]
