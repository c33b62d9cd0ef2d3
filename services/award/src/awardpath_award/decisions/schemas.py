"""Bodies of decisions: the issuer's decision, and a decision as the issuer's queue shows it."""

from datetime import datetime
from typing import Self

from pydantic import AliasPath, ConfigDict, Field, model_validator

from awardpath_award.decisions.models import DecisionState
from awardpath_award.decisions.policy import DecisionChoice
from awardpath_shared.rubrics import FileRef, Recommendation, SectionResult
from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import LongText
from awardpath_shared.vocabulary import DecidedBy, DecisionOutcome


class DecisionRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "award", "note": "Congratulations."},
                {"decision": "deny", "resubmission_allowed": True, "note": "Please see the feedback."},
            ]
        }
    )

    decision: DecisionChoice = Field(strict=False)
    note: LongText | None = Field(default=None, description="Shown to the earner with the outcome.")
    resubmission_allowed: bool = Field(
        default=False,
        description="With `deny`: open the submission for another attempt, if attempts remain.",
    )

    @model_validator(mode="after")
    def _resubmission_only_with_deny(self) -> Self:
        if self.decision == DecisionChoice.AWARD and self.resubmission_allowed:
            raise ValueError("resubmission_allowed applies to a deny only")
        return self


class DecisionView(View):
    id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    micro_credential_title: str = Field(validation_alias=AliasPath("definition", "title"))
    recommendation: Recommendation
    sections: list[SectionResult]
    assessor_note: str | None = Field(
        description="The assessor's private note to the issuer; never shown to the earner."
    )
    files: list[FileRef] = Field(
        description="The attempt's evidence files as the assessor saw them: GET "
        "`/v1/decisions/{id}/files/{file_id}` (Range requests welcome)"
    )
    state: DecisionState
    decision: DecisionChoice | None
    resubmission_allowed: bool
    outcome: DecisionOutcome | None
    note: str | None
    decided_by: DecidedBy | None
    created_at: datetime
    decided_at: datetime | None
    cancelled_at: datetime | None = Field(
        default=None, description="Set when the platform withdrew the submission before the decision."
    )
    award_id: str | None
