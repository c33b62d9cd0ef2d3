"""What an admin sees of overdue work. Blind like everything here: no earner identity."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_assessment.assignment.models import AttemptState
from awardpath_shared.pagination import Page
from awardpath_shared.schemas import View


class OverdueAttemptView(View):
    attempt_id: str = Field(validation_alias=AliasPath("attempt", "id"))
    submission_id: str = Field(validation_alias=AliasPath("attempt", "submission_id"))
    attempt: int = Field(validation_alias=AliasPath("attempt", "number"))
    micro_credential_id: str = Field(validation_alias=AliasPath("attempt", "micro_credential_id"))
    micro_credential_version: int = Field(validation_alias=AliasPath("attempt", "micro_credential_version"))
    state: AttemptState = Field(
        validation_alias=AliasPath("attempt", "state"),
        description="`unassigned`: waiting for an assessor; `assigned`: with the assessors named.",
    )
    submitted_at: datetime = Field(validation_alias=AliasPath("attempt", "submitted_at"))
    due_at: datetime = Field(validation_alias=AliasPath("attempt", "due_at"))
    assessor_ids: list[str] = Field(description="Who holds it now; empty while it waits for an assessor.")


class OverduePage(Page[OverdueAttemptView]):
    count: int = Field(description="How many attempts are overdue in all.")
    as_of: datetime = Field(description="The moment overdue is measured against.")
