"""What the earner is shown of each review: levels and feedback, never who wrote them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.rubrics import Recommendation, SectionResult
from awardpath_submission.database import Base


class Review(Base):
    """An assessor's scoring of one attempt, as the earner may see it (no assessor identity)."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    sections: Mapped[list[SectionResult]] = mapped_column(PydanticJson(list[SectionResult]))
    recommendation: Mapped[Recommendation] = mapped_column(EnumText(Recommendation, 20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
