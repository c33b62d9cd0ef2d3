"""Request and response bodies of the assessment API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from awardpath_shared.events import RubricSection, SectionEvidence
from awardpath_shared.pagination import Page
from awardpath_shared.validation import Id, PlainText

ExternalId = Annotated[Id, Field(examples=["assessor-7"])]
# Organisation or conflict ids: hashed on arrival, so any string will do.
ConflictId = Annotated[str, Field(min_length=1, max_length=200)]

Recommendation = Literal["award", "resubmit"]
AssignmentState = Literal["assigned", "claimed", "completed", "expired", "released", "withdrawn"]
QualificationStatus = Literal["qualified", "calibrating", "not_qualified"]
Share = Annotated[float, Field(ge=0, le=1)]


class RequestBody(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is a 422, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- assessors -------------------------------------------------------------------------


class AssessorCreate(RequestBody):
    id: ExternalId
    display_name: Annotated[PlainText, Field(min_length=1, max_length=200)]
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


class QualificationOut(BaseModel):
    micro_credential_id: str
    status: QualificationStatus = Field(
        description="`calibrating`: scoring the calibration set first, no live work yet; "
        "`not_qualified`: the calibration agreement fell short of the set's threshold."
    )
    calibration_agreement: float | None = Field(
        description="Share of the calibration set's section levels matched exactly."
    )


class AssessorOut(BaseModel):
    id: str
    display_name: str
    micro_credential_ids: list[str] = Field(description="Every micro-credential granted, calibrated or not.")
    qualifications: list[QualificationOut]
    capacity: int
    paused: bool
    open_assignments: int


class ScoringPolicyIn(RequestBody):
    double_score_share: Share = Field(description="Share of attempts scored by two independent assessors (0 to 1).")


class ScoringPolicyOut(BaseModel):
    micro_credential_id: str
    double_score_share: float
    configured: bool = Field(description="False: no policy was set, the service default applies.")


class UnassignedAttemptOut(BaseModel):
    attempt_id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    received_at: datetime


class UnassignedPage(Page[UnassignedAttemptOut]):
    count: int = Field(description="How many attempts wait for an assessor in all.")


# ---- the assessor's queue --------------------------------------------------------------


class QueueItem(BaseModel):
    assignment_id: str
    micro_credential_id: str
    micro_credential_title: str
    attempt: int
    state: AssignmentState
    assigned_at: datetime
    lease_expires_at: datetime | None


class ClaimOut(BaseModel):
    assignment_id: str
    lease_expires_at: datetime


class MicroCredentialOut(BaseModel):
    id: str
    version: int
    title: str
    competency: str
    key_method: str


class SectionScore(BaseModel):
    section_id: str
    level: str
    feedback: str


class EarlierFeedback(BaseModel):
    attempt: int
    sections: list[SectionScore]
    recommendation: Recommendation


class BlindAssignmentView(BaseModel):
    """What the assessor sees: no earner identity, no conflict hashes, no other assessor."""

    assignment_id: str
    state: AssignmentState
    attempt: int
    lease_expires_at: datetime | None
    micro_credential: MicroCredentialOut
    rubric: list[RubricSection]
    evidence: list[SectionEvidence]
    earlier_feedback: list[EarlierFeedback]


# ---- reviews ---------------------------------------------------------------------------


class SectionScoreIn(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    level: Annotated[str, Field(min_length=1, max_length=100)]
    feedback: Annotated[PlainText, Field(max_length=20_000)]


class ReviewIn(RequestBody):
    sections: Annotated[list[SectionScoreIn], Field(min_length=1, max_length=100)]
    recommendation: Recommendation
    note_to_issuer: Annotated[PlainText | None, Field(max_length=5_000)] = Field(
        default=None,
        description="Private note for the issuer of record; the earner never sees it.",
    )


class ReviewOut(BaseModel):
    review_id: str
    assignment_id: str
    recommendation: Recommendation


class ReleaseOut(BaseModel):
    assignment_id: str
    state: AssignmentState


# ---- calibration -----------------------------------------------------------------------


class CalibrationEvidenceIn(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    text: Annotated[PlainText, Field(max_length=100_000)]


class AgreedLevelIn(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    level: Annotated[str, Field(min_length=1, max_length=100)]


class CalibrationExampleIn(RequestBody):
    evidence: Annotated[list[CalibrationEvidenceIn], Field(min_length=1, max_length=100)]
    agreed_levels: Annotated[list[AgreedLevelIn], Field(min_length=1, max_length=100)]


class CalibrationSetCreate(RequestBody):
    micro_credential_id: ExternalId
    micro_credential_version: Annotated[int, Field(ge=1)]
    threshold: Share | None = Field(
        default=None,
        description="Share of section levels a new assessor must match exactly to be qualified "
        "(default: the service's `calibration_threshold`).",
    )
    examples: Annotated[list[CalibrationExampleIn], Field(min_length=1, max_length=50)]


class CalibrationSetOut(BaseModel):
    id: str
    micro_credential_id: str
    micro_credential_version: int
    threshold: float
    example_ids: list[str]
    created_at: datetime


class CalibrationItem(BaseModel):
    """A calibration example as the assessor scores it: like live work, without the answer."""

    example_id: str
    micro_credential: MicroCredentialOut
    rubric: list[RubricSection]
    evidence: list[SectionEvidence]


class CalibrationReviewOut(BaseModel):
    example_id: str
    remaining: int = Field(description="Examples of the set still to score.")
    status: QualificationStatus
    agreement: float | None = Field(description="Set once every example is scored.")


# ---- reliability -----------------------------------------------------------------------


class AgreementOut(BaseModel):
    pairs: int = Field(description="Section levels given by two independent assessors.")
    exact_agreement: float | None
    adjacent_agreement: float | None = Field(description="Levels at most one apart (exact included).")
    kappa: float | None = Field(description="Cohen's kappa; null when undefined.")


class TurnaroundOut(BaseModel):
    count: int
    mean_seconds: float | None
    median_seconds: float | None


class AssessorReliability(BaseModel):
    assessor_id: str
    reviews: int
    adjudications: int
    double_scored_reviews: int
    pass_rate: float | None = Field(description="Share of this assessor's reviews recommending award.")
    turnaround: TurnaroundOut = Field(description="From assignment to review.")
    agreement: AgreementOut = Field(description="With the other independent assessor of the same attempts.")


class ReliabilityReport(BaseModel):
    micro_credential_id: str
    attempts_received: int
    attempts_completed: int
    double_scored: int
    adjudicated: int
    reviews: int
    pass_rate: float | None = Field(description="Share of settled attempts whose outcome was award.")
    recommendation_agreement: float | None = Field(
        description="Share of double-scored attempts whose two reviews recommended the same."
    )
    turnaround: TurnaroundOut = Field(description="From arrival to settled outcome.")
    agreement: AgreementOut
    assessors: list[AssessorReliability]
