"""Request and response bodies of the submission API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, field_validator

from awardpath_shared.validation import Id, PlainText

SubmissionStatus = Literal[
    "submitted", "in_review", "resubmission_open", "awaiting_decision", "awarded", "denied", "withdrawn"
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArtifactIn(StrictModel):
    url: AnyHttpUrl = Field(description="Where the artifact can be fetched (http or https)")
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=100, examples=["video/mp4"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the artifact bytes")

    @field_validator("url")
    @classmethod
    def _bounded_url(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(url)) > 2048:
            raise ValueError("artifact URLs are limited to 2048 characters")
        return url


class EvidenceIn(StrictModel):
    section_id: Id
    text: PlainText = Field(min_length=1, description="The earner's evidence for this rubric section")
    artifacts: list[ArtifactIn] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("evidence text must not be blank")
        return text


class EarnerIn(StrictModel):
    external_id: PlainText = Field(min_length=1, max_length=200, description="The platform's id of the earner")
    name: PlainText = Field(min_length=1, max_length=300)
    email: EmailStr
    organization_id: PlainText | None = Field(default=None, min_length=1, max_length=200)
    conflict_ids: list[Annotated[PlainText, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=20,
        description="Other organisation ids an assessor must not belong to (conflicts of interest)",
    )


class SubmissionCreate(StrictModel):
    micro_credential_id: Id
    earner: EarnerIn
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)


class AttemptCreate(StrictModel):
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=50)


class SubmissionAccepted(BaseModel):
    id: str
    status: SubmissionStatus
    attempt: int


class EarnerOut(BaseModel):
    external_id: str
    name: str
    email: str
    organization_id: str | None


class SectionFeedbackOut(BaseModel):
    section_id: str
    level: str
    feedback: str


class ReviewOut(BaseModel):
    """One assessor's review as the earner sees it: levels and feedback, never who wrote it."""

    id: str
    recommendation: Literal["award", "resubmit"]
    sections: list[SectionFeedbackOut]
    completed_at: datetime


class AttemptOut(BaseModel):
    attempt: int
    micro_credential_version: int
    submitted_at: datetime
    evidence: list[EvidenceIn]
    reviews: list[ReviewOut]


class DecisionOut(BaseModel):
    outcome: Literal["awarded", "resubmission_open", "denied"]
    note: str | None


class SubmissionOut(BaseModel):
    id: str
    micro_credential_id: str
    status: SubmissionStatus
    attempt: int
    max_attempts: int
    earner: EarnerOut
    attempts: list[AttemptOut]
    decision: DecisionOut | None
    award_id: str | None
    credential_id: str | None
    credential_url: str | None = Field(default=None, description="The signed Open Badges 3.0 credential")
    credential_revoked_at: datetime | None = Field(default=None, description="Set when the issuer revoked it")
    created_at: datetime
    updated_at: datetime


class SubmissionSummary(BaseModel):
    id: str
    micro_credential_id: str
    status: SubmissionStatus
    attempt: int
    earner_external_id: str
    created_at: datetime
    updated_at: datetime


class SubmissionPage(BaseModel):
    items: list[SubmissionSummary]
    next_cursor: str | None


class TimelineEntry(BaseModel):
    status: SubmissionStatus
    attempt: int
    detail: str | None
    at: datetime


class Timeline(BaseModel):
    submission_id: str
    entries: list[TimelineEntry]
