"""Bodies of revocation and the issuer's list of its credentials (the credentials themselves
are JSON-LD documents and VC-JWTs)."""

from datetime import datetime

from pydantic import AliasPath, Field

from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Description


class RevokeRequest(RequestBody):
    reason: Description = Field(examples=["Awarded in error: the evidence was not the earner's own."])


class RevocationView(View):
    credential_id: str = Field(validation_alias="id")
    revoked_at: datetime
    reason: str = Field(validation_alias="revocation_reason")


class IssuedCredentialView(View):
    """One of the issuer's credentials as its list shows it (ids, never the earner)."""

    credential_id: str = Field(validation_alias="id")
    submission_id: str
    achievement_name: str = Field(validation_alias=AliasPath("document", "credentialSubject", "achievement", "name"))
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
