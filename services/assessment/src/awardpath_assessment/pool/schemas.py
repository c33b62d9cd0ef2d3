"""Bodies of the assessor pool and the scoring policy (admins)."""

from typing import Annotated

from pydantic import Field

from awardpath_assessment.pool.models import QualificationStatus
from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Id

ExternalId = Annotated[Id, Field(examples=["assessor-7"])]
# Organisation or conflict ids: hashed on arrival, so any string will do.
ConflictId = Annotated[str, Field(min_length=1, max_length=200)]
Share = Annotated[float, Field(ge=0, le=1)]


class AssessorCreate(RequestBody):
    id: ExternalId
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    micro_credential_ids: Annotated[list[ExternalId], Field(max_length=500)]
    capacity: Annotated[int, Field(ge=1, le=1000)]
    organization_id: ConflictId | None = Field(default=None, description="Stored only as a keyed hash, never echoed.")
    conflict_ids: list[ConflictId] = Field(
        default_factory=list,
        max_length=100,
        description="Organisations or people whose submissions the assessor must never assess; "
        "stored only as keyed hashes, never echoed.",
    )


class AssessorUpdate(RequestBody):
    paused: bool | None = None
    capacity: Annotated[int | None, Field(ge=1, le=1000)] = None
    micro_credential_ids: Annotated[list[ExternalId] | None, Field(max_length=500)] = None


class QualificationView(View):
    micro_credential_id: str
    status: QualificationStatus = Field(
        description="`calibrating`: scoring the calibration set first, no live work yet; "
        "`not_qualified`: the calibration agreement fell short of the set's threshold."
    )
    calibration_agreement: float | None = Field(
        description="Share of the calibration set's section levels matched exactly."
    )


class AssessorView(View):
    id: str
    display_name: str
    micro_credential_ids: list[str] = Field(description="Every micro-credential granted, calibrated or not.")
    qualifications: list[QualificationView]
    capacity: int
    paused: bool
    open_assignments: int


class ScoringPolicyUpdate(RequestBody):
    double_score_share: Share = Field(description="Share of attempts scored by two independent assessors (0 to 1).")


class ScoringPolicyView(View):
    micro_credential_id: str
    double_score_share: float
    configured: bool = Field(description="False: no policy was set, the service default applies.")
