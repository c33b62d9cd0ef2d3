"""What an assessor sees of their work: the queue, a claim, the blind view of an assignment.
Blind by construction: these views have no field for earner identity, conflict hashes or
any other assessor."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_assessment.assignment.models import AssignmentState, ReleaseReason
from awardpath_assessment.evidence_files.schemas import EvidenceFileLinkView
from awardpath_assessment.rubrics.schemas import MicroCredentialView
from awardpath_shared.rubrics import Recommendation, RubricSection, SectionEvidence, SectionResult
from awardpath_shared.schemas import RequestBody, View


class QueueItemView(View):
    assignment_id: str = Field(validation_alias="id")
    micro_credential_id: str = Field(validation_alias=AliasPath("attempt", "micro_credential_id"))
    micro_credential_title: str = Field(validation_alias=AliasPath("attempt", "rubric", "title"))
    attempt: int = Field(validation_alias=AliasPath("attempt", "number"))
    state: AssignmentState
    assigned_at: datetime
    lease_expires_at: datetime | None
    due_at: datetime = Field(
        validation_alias=AliasPath("attempt", "due_at"),
        description="When the assessment is due (the micro-credential's turnaround target); open "
        "work past it by the grace goes to another assessor.",
    )


class ClaimView(View):
    assignment_id: str = Field(validation_alias="id")
    lease_expires_at: datetime


class ReleaseRequest(RequestBody):
    reason: ReleaseReason | None = Field(
        default=None, strict=False, description="Why you hand it back; administrators see it (GET /v1/releases)"
    )


class ReleaseView(View):
    assignment_id: str = Field(validation_alias="id")
    state: AssignmentState
    reason: ReleaseReason | None = Field(validation_alias="release_reason")


class EarlierFeedbackView(View):
    attempt: int = Field(validation_alias="number")
    sections: list[SectionResult] = Field(validation_alias=AliasPath("deciding_review", "sections"))
    recommendation: Recommendation = Field(validation_alias=AliasPath("deciding_review", "recommendation"))


class BlindAssignmentView(View):
    """What the assessor sees: no earner identity, no conflict hashes, no other assessor."""

    assignment_id: str = Field(validation_alias=AliasPath("assignment", "id"))
    state: AssignmentState = Field(validation_alias=AliasPath("assignment", "state"))
    attempt: int = Field(validation_alias=AliasPath("assignment", "attempt", "number"))
    lease_expires_at: datetime | None = Field(validation_alias=AliasPath("assignment", "lease_expires_at"))
    due_at: datetime = Field(validation_alias=AliasPath("assignment", "attempt", "due_at"))
    micro_credential: MicroCredentialView = Field(validation_alias=AliasPath("assignment", "attempt", "rubric"))
    rubric: list[RubricSection] = Field(validation_alias=AliasPath("assignment", "attempt", "rubric", "sections"))
    evidence: list[SectionEvidence] = Field(validation_alias=AliasPath("assignment", "attempt", "evidence"))
    earlier_feedback: list[EarlierFeedbackView] = Field(validation_alias="earlier_attempts")
    files: list[EvidenceFileLinkView] = Field(
        validation_alias="file_links",
        description="The evidence files of every section, each with a short-lived link (none once the "
        "assignment ended); `evidence[].files` names them by id",
    )
    min_feedback_chars: int = Field(default=0, description="The fewest characters of feedback a section takes.")
