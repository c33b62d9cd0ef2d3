"""What an admin sees of the work waiting for an assessor, and of the work assessors handed back."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_assessment.assignment.models import ReleaseReason
from awardpath_shared.pagination import Page
from awardpath_shared.schemas import View


class UnassignedAttemptView(View):
    attempt_id: str = Field(validation_alias="id")
    submission_id: str
    attempt: int = Field(validation_alias="number")
    micro_credential_id: str
    micro_credential_version: int
    received_at: datetime
    due_at: datetime
    held_until: datetime | None = Field(
        description="A resubmission waits for the assessor of the earlier attempt (they are full) "
        "until then; afterwards any eligible assessor may take it."
    )


class UnassignedPage(Page[UnassignedAttemptView]):
    count: int = Field(description="How many attempts wait for an assessor in all.")


class ReleasedAssignmentView(View):
    assignment_id: str = Field(validation_alias="id")
    assessor_id: str
    attempt_id: str
    submission_id: str = Field(validation_alias=AliasPath("attempt", "submission_id"))
    attempt: int = Field(validation_alias=AliasPath("attempt", "number"))
    micro_credential_id: str = Field(validation_alias=AliasPath("attempt", "micro_credential_id"))
    reason: ReleaseReason | None = Field(
        validation_alias="release_reason", description="As the assessor gave it; null when they gave none"
    )
    released_at: datetime = Field(validation_alias="ended_at")
