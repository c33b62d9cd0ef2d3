"""What a platform reads of its submissions: status, attempts with every review's levels and
feedback (never who gave it), the decision, the credential, the timeline."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_shared.rubrics import Recommendation, SectionEvidence, SectionResult
from awardpath_shared.schemas import View
from awardpath_shared.vocabulary import DecisionOutcome, SubmissionStatus


class EarnerView(View):
    external_id: str
    name: str
    email: str
    organization_id: str | None


class ReviewView(View):
    """One assessor's review as the earner sees it: levels and feedback, never who wrote it."""

    id: str
    recommendation: Recommendation
    sections: list[SectionResult]
    completed_at: datetime


class AttemptView(View):
    attempt: int = Field(validation_alias="number")
    micro_credential_version: int
    submitted_at: datetime
    evidence: list[SectionEvidence]
    reviews: list[ReviewView]


class DecisionView(View):
    outcome: DecisionOutcome
    note: str | None


class SubmissionView(View):
    id: str
    micro_credential_id: str
    status: SubmissionStatus
    attempt: int = Field(validation_alias="current_attempt")
    max_attempts: int
    earner: EarnerView
    attempts: list[AttemptView]
    decision: DecisionView | None
    award_id: str | None
    credential_id: str | None
    credential_url: str | None = Field(default=None, description="The signed Open Badges 3.0 credential")
    credential_revoked_at: datetime | None = Field(default=None, description="Set when the issuer revoked it")
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = Field(default=None, description="When it became awarded, denied or withdrawn")


class SubmissionSummaryView(View):
    id: str
    micro_credential_id: str
    status: SubmissionStatus
    attempt: int = Field(validation_alias="current_attempt")
    earner_external_id: str = Field(validation_alias=AliasPath("earner", "external_id"))
    created_at: datetime
    updated_at: datetime


class TimelineEntryView(View):
    sequence: int = Field(description="1, 2, 3... per submission: the `sequence` of its status webhooks")
    status: SubmissionStatus
    attempt: int
    detail: str | None
    at: datetime


class TimelineView(View):
    submission_id: str
    entries: list[TimelineEntryView]
