"""Bodies of revocation (the credentials themselves are JSON-LD documents and VC-JWTs)."""

from datetime import datetime

from pydantic import Field

from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Description


class RevokeRequest(RequestBody):
    reason: Description = Field(examples=["Awarded in error: the evidence was not the earner's own."])


class RevocationView(View):
    credential_id: str = Field(validation_alias="id")
    revoked_at: datetime
    reason: str = Field(validation_alias="revocation_reason")
