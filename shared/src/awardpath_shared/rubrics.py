"""The vocabulary of a rubric and of what is scored against it, shared by the event contracts
and by the services that store them (as typed JSON, see `awardpath_shared.db.PydanticJson`).

A rubric is a list of sections; each section has ordered levels (lowest first) and a passing
level. Evidence comes per section; a review gives each section a level and growth feedback.
"""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Recommendation(StrEnum):
    AWARD = "award"
    RESUBMIT = "resubmit"


class RubricLevel(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    description: str | None = None


class RubricSection(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    prompt: str
    evidence: Literal["text"] = "text"
    required: bool = True
    levels: list[RubricLevel]
    passing_level: str

    @property
    def level_ids(self) -> list[str]:
        return [level.id for level in self.levels]

    def rank(self, level_id: str) -> int:
        """Position of a level, lowest first; ValueError for a level the section lacks."""
        return self.level_ids.index(level_id)

    def passes(self, level_id: str) -> bool:
        return self.rank(level_id) >= self.rank(self.passing_level)

    def level_name(self, level_id: str) -> str:
        return next((level.name for level in self.levels if level.id == level_id), level_id)


class ArtifactRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    url: str
    media_type: str
    sha256: str


class FileRef(BaseModel):
    """An evidence file stored by Awardpath (not a URL): the copy an assessor sees, with its
    identifying metadata removed. `sha256` and `size` are of that stored copy."""

    model_config = ConfigDict(frozen=True)
    file_id: str
    media_type: str
    size: int
    sha256: str


class SectionEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    section_id: str
    text: str
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    # Added to v1 as optional: attempts stored before evidence files have none.
    files: list[FileRef] = Field(default_factory=list)


class SectionResult(BaseModel):
    """A section's level and the growth feedback that goes with it."""

    model_config = ConfigDict(frozen=True)
    section_id: str
    level: str
    feedback: str
