"""Bodies of intake: a submission with its earner and evidence, a resubmission, a withdrawal."""

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, EmailStr, Field, field_validator

from awardpath_shared.schemas import RequestBody, View
from awardpath_shared.validation import Id, LongText
from awardpath_shared.vocabulary import SubmissionStatus


class ArtifactCreate(RequestBody):
    url: AnyHttpUrl = Field(description="Where the artifact can be fetched (http or https)")
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=100, examples=["video/mp4"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the artifact bytes")

    @field_validator("url")
    @classmethod
    def _bounded_url(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(url)) > 2048:
            raise ValueError("artifact URLs are limited to 2048 characters")
        return url


class EvidenceFileCreate(RequestBody):
    file_id: Id = Field(description="A file uploaded by this platform (`POST /v1/uploads` or `/v1/files`), ready")


class EvidenceCreate(RequestBody):
    section_id: Id
    text: str = Field(min_length=1, description="The earner's evidence for this rubric section")
    artifacts: list[ArtifactCreate] = Field(default_factory=list)
    files: list[EvidenceFileCreate] = Field(
        default_factory=list,
        description="Uploaded files (classroom video, student work); an earlier attempt's files may be named again",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("evidence text must not be blank")
        return text


class EarnerCreate(RequestBody):
    external_id: str = Field(min_length=1, max_length=200, description="The platform's id of the earner")
    name: str = Field(min_length=1, max_length=300)
    email: EmailStr
    organization_id: str | None = Field(default=None, min_length=1, max_length=200)
    conflict_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=20,
        description="Other organisation ids an assessor must not belong to (conflicts of interest)",
    )


class SubmissionCreate(RequestBody):
    micro_credential_id: Id
    earner: EarnerCreate
    evidence: list[EvidenceCreate] = Field(min_length=1, max_length=50)


class AttemptCreate(RequestBody):
    evidence: list[EvidenceCreate] = Field(min_length=1, max_length=50)


class WithdrawRequest(RequestBody):
    reason: LongText | None = Field(
        default=None, description="Why, for the submission's timeline (it stays in the submission service)."
    )


class SubmissionAcceptedView(View):
    id: str
    status: SubmissionStatus
    attempt: int = Field(validation_alias="current_attempt")


class SubmissionStatusView(SubmissionAcceptedView):
    """A submission's status after a command (a withdrawal)."""

    updated_at: datetime
