"""Calibration: example submissions with agreed levels that a newly granted assessor scores
before any live work of that micro-credential."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_assessment.database import FOREIGN_ID, OWN_ID, Base
from awardpath_assessment.rubrics.models import Rubric
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.rubrics import Recommendation, SectionEvidence, SectionResult


class CalibrationSet(Base):
    """Example submissions with agreed levels; the newest set of a micro-credential is the
    one new assessors score before they get live work for it."""

    __tablename__ = "calibration_sets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["rubrics.micro_credential_id", "rubrics.version"],
        ),
        Index(None, "micro_credential_id", "id"),
    )

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    micro_credential_id: Mapped[str] = mapped_column(FOREIGN_ID)
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    # Share of section levels an assessor must match exactly to be qualified (0..1).
    threshold: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    rubric: Mapped[Rubric] = relationship(lazy="raise", viewonly=True)
    examples: Mapped[list["CalibrationExample"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CalibrationExample.position", back_populates="set"
    )

    @property
    def example_ids(self) -> list[str]:
        return [example.id for example in self.examples]


class CalibrationExample(Base):
    __tablename__ = "calibration_examples"

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("calibration_sets.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[SectionEvidence]] = mapped_column(PydanticJson(list[SectionEvidence]))
    agreed_levels: Mapped[dict[str, str]] = mapped_column(JSON)  # {section_id: level}

    set: Mapped[CalibrationSet] = relationship(lazy="raise", back_populates="examples")


class CalibrationReview(Base):
    """An assessor's scoring of one calibration example (never live work, never sent)."""

    __tablename__ = "calibration_reviews"
    __table_args__ = (UniqueConstraint("assessor_id", "example_id"),)

    id: Mapped[str] = mapped_column(OWN_ID, primary_key=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("assessors.id"))
    example_id: Mapped[str] = mapped_column(ForeignKey("calibration_examples.id"), index=True)
    sections: Mapped[list[SectionResult]] = mapped_column(PydanticJson(list[SectionResult]))
    recommendation: Mapped[Recommendation] = mapped_column(EnumText(Recommendation, 20))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    example: Mapped[CalibrationExample] = relationship(lazy="raise")


def calibration_agreement(reviews: list[CalibrationReview]) -> float:
    """Share of all section levels, over every scored example, that match the agreed level."""
    pairs = [
        (section.level, review.example.agreed_levels[section.section_id])
        for review in reviews
        for section in review.sections
    ]
    return sum(given == agreed for given, agreed in pairs) / len(pairs)
