"""Bodies of calibration: sets of examples with agreed levels (admins), the examples an
assessor scores like live work, and how far they are."""

from datetime import datetime
from typing import Annotated

from pydantic import AliasPath, Field

from awardpath_assessment.pool.models import QualificationStatus
from awardpath_assessment.rubrics.schemas import MicroCredentialView
from awardpath_shared.rubrics import RubricSection, SectionEvidence
from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Id, Version

Share = Annotated[float, Field(ge=0, le=1)]


class CalibrationEvidenceCreate(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    text: Annotated[str, Field(max_length=100_000)]


class AgreedLevelCreate(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    level: Annotated[str, Field(min_length=1, max_length=100)]


class CalibrationExampleCreate(RequestBody):
    evidence: Annotated[list[CalibrationEvidenceCreate], Field(min_length=1, max_length=100)]
    agreed_levels: Annotated[list[AgreedLevelCreate], Field(min_length=1, max_length=100)]


class CalibrationSetCreate(RequestBody):
    micro_credential_id: Id
    micro_credential_version: Version
    threshold: Share | None = Field(
        default=None,
        description="Share of section levels a new assessor must match exactly to be qualified "
        "(default: the service's `calibration_threshold`).",
    )
    examples: Annotated[list[CalibrationExampleCreate], Field(min_length=1, max_length=50)]


class CalibrationSetView(View):
    id: str
    micro_credential_id: str
    micro_credential_version: int
    threshold: float
    example_ids: list[str]
    created_at: datetime


class CalibrationItemView(View):
    """A calibration example as the assessor scores it: like live work, without the answer."""

    example_id: str = Field(validation_alias="id")
    micro_credential: MicroCredentialView = Field(validation_alias=AliasPath("set", "rubric"))
    rubric: list[RubricSection] = Field(validation_alias=AliasPath("set", "rubric", "sections"))
    evidence: list[SectionEvidence]


class CalibrationProgressView(View):
    example_id: str
    remaining: int = Field(description="Examples of the set still to score.")
    status: QualificationStatus
    agreement: float | None = Field(description="Set once every example is scored.")
    agreed_levels: dict[str, str] = Field(
        description="The example's agreed level per section, {section_id: level}, to compare with yours."
    )
