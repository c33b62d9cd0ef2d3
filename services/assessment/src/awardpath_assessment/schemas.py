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
AssignmentState = Literal["assigned", "claimed", "completed"]


class RequestBody(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is a 422, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- assessors -------------------------------------------------------------------------


class AssessorCreate(RequestBody):
    id: ExternalId
    display_name: Annotated[PlainText, Field(min_length=1, max_length=200)]
    micro_credential_ids: Annotated[list[ExternalId], Field(max_length=500)]
    capacity: Annotated[int, Field(ge=1, le=1000)]
    organization_id: ConflictId | None = Field(
        default=None, description="Stored only as a keyed hash, never echoed."
    )
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


class AssessorOut(BaseModel):
    id: str
    display_name: str
    micro_credential_ids: list[str]
    capacity: int
    paused: bool
    open_assignments: int


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


class ReviewOut(BaseModel):
    review_id: str
    assignment_id: str
    recommendation: Recommendation
