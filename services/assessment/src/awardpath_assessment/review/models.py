"""Reviews: an assessor's level and growth feedback per rubric section, and a recommendation."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_assessment.database import OWN_ID, Base
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.rubrics import Recommendation, SectionResult


class Review(Base):
    """An assessor's scoring of one assignment."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), unique=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"), index=True)
    sections: Mapped[list[SectionResult]] = mapped_column(PydanticJson(list[SectionResult]))
    recommendation: Mapped[Recommendation] = mapped_column(EnumText(Recommendation, 20))
    # Private note for the issuer of record; sent only on the deciding review, never shown
    # to the earner.
    note_to_issuer: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
