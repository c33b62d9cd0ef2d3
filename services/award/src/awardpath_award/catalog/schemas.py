"""Bodies of the catalog: a micro-credential definition as an issuer publishes it, and as
anyone reads it back. Constraints here turn a bad definition into a 422."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from awardpath_shared.rubrics import RubricSection
from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Description, Id, LongText, Name, Prompt
from awardpath_shared.vocabulary import DEFAULT_TURNAROUND_BUSINESS_DAYS, DecisionPolicy

# A quarter of a year: the longest turnaround target a definition may set.
MAX_TURNAROUND_BUSINESS_DAYS = 60
# Rubric section and level ids: short, stable, readable keys ("overview", "not_yet").
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class RubricLevelCreate(RequestBody):
    id: Key = Field(examples=["proficient"])
    name: Name = Field(examples=["Proficient"])
    description: Description | None = None


class RubricSectionCreate(RequestBody):
    id: Key = Field(examples=["overview"])
    title: Name = Field(examples=["Overview questions"])
    prompt: Prompt = Field(examples=["Describe your classroom and the students you teach."])
    evidence: Literal["text"] = "text"
    required: bool = True
    levels: list[RubricLevelCreate] = Field(min_length=2, max_length=10, description="Lowest first.")
    passing_level: Key = Field(examples=["proficient"])

    @model_validator(mode="after")
    def _levels_are_consistent(self) -> Self:
        level_ids = [level.id for level in self.levels]
        if len(set(level_ids)) != len(level_ids):
            raise ValueError(f"section {self.id!r}: level ids must be unique")
        if self.passing_level not in level_ids:
            raise ValueError(f"section {self.id!r}: passing_level must be one of {level_ids}")
        return self


DEFINITION_EXAMPLE: dict[str, Any] = {
    "title": "Belonging and Caring Classroom Climate",
    "competency": "The educator creates a classroom climate where students feel cared for and that they belong.",
    "key_method": "Student check-in circles",
    "issuer_id": "0196d6f2-7c1a-7f00-8000-000000000001",
    "max_attempts": 3,
    "restart_after_days": 90,
    "decision_policy": "manual",
    "turnaround_business_days": 5,
    "sections": [
        {
            "id": "overview",
            "title": "Overview questions",
            "prompt": "Describe your classroom and the students you teach.",
            "evidence": "text",
            "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
            "passing_level": "proficient",
        }
    ],
}


class MicroCredentialCreate(RequestBody):
    """What an issuer publishes; every publication is a new, immutable version."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEFINITION_EXAMPLE]})

    title: Name
    competency: LongText
    key_method: LongText
    issuer_id: Id
    max_attempts: int = Field(
        ge=1,
        le=10,
        description="Attempts an earner gets, resubmissions included, counted across the earner's "
        "submissions for this micro-credential.",
    )
    restart_after_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="After a final denial (or once every attempt was used), the days before the earner "
        "may start this micro-credential again with fresh attempts; null: never.",
    )
    decision_policy: DecisionPolicy = Field(
        default=DecisionPolicy.MANUAL,
        strict=False,
        description="`auto`: the issuer accepts assessors' recommendations automatically.",
    )
    turnaround_business_days: int = Field(
        default=DEFAULT_TURNAROUND_BUSINESS_DAYS,
        ge=1,
        le=MAX_TURNAROUND_BUSINESS_DAYS,
        description="The assessment turnaround target: an attempt is due this many business days "
        "(Monday to Friday, UTC) after it was submitted; overdue work is escalated.",
    )
    sections: list[RubricSectionCreate] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _section_ids_are_unique(self) -> Self:
        section_ids = [section.id for section in self.sections]
        if len(set(section_ids)) != len(section_ids):
            raise ValueError("section ids must be unique")
        return self

    def rubric(self) -> list[RubricSection]:
        return [RubricSection.model_validate(section.model_dump()) for section in self.sections]


class MicroCredentialView(View):
    """A published definition with its identity."""

    title: str
    competency: str
    key_method: str
    issuer_id: str
    max_attempts: int
    restart_after_days: int | None
    decision_policy: DecisionPolicy
    turnaround_business_days: int = Field(description="Business days an attempt's assessment should take.")
    sections: list[RubricSection]
    id: str = Field(validation_alias="micro_credential_id")
    version: int
    published_at: datetime
