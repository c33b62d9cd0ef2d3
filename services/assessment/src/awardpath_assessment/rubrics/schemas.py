from pydantic import Field

from awardpath_shared.schemas import View


class MicroCredentialView(View):
    """The micro-credential version work is scored against (read from its rubric)."""

    id: str = Field(validation_alias="micro_credential_id")
    version: int
    title: str
    competency: str
    key_method: str
    turnaround_business_days: int = Field(description="Business days (Monday to Friday, UTC) an attempt is due in.")
