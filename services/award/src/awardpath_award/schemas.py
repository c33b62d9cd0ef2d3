"""Request and response bodies of the award API. Constraints here turn bad input into 422s."""

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)

from awardpath_award.models import (
    Decision,
    Issuer,
    IssuerKey,
    MicroCredentialVersion,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from awardpath_award.webhooks import WebhookEventType
from awardpath_shared.validation import Id, without_nul

# Rubric section and level ids: short, stable, readable keys ("overview", "not_yet").
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def _text(max_length: int) -> StringConstraints:
    """Non-blank free text of at most `max_length` characters, surrounding space trimmed."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, _text(200), AfterValidator(without_nul)]
Description = Annotated[str, _text(2000), AfterValidator(without_nul)]
LongText = Annotated[str, _text(5000), AfterValidator(without_nul)]
Prompt = Annotated[str, _text(10_000), AfterValidator(without_nul)]


class RequestBody(BaseModel):
    # A misspelt optional field would otherwise be dropped silently and take its default.
    model_config = ConfigDict(extra="forbid")


# ---- issuers ---------------------------------------------------------------------------


class IssuerCreate(RequestBody):
    name: Name = Field(examples=["Center for Educator Growth"])
    url: HttpUrl = Field(examples=["https://growth.example.org"])
    email: EmailStr = Field(examples=["credentials@growth.example.org"])


class IssuerView(BaseModel):
    id: str
    name: str
    url: str
    email: str
    created_at: datetime

    @classmethod
    def of(cls, issuer: Issuer) -> Self:
        return cls(id=issuer.id, name=issuer.name, url=issuer.url, email=issuer.email, created_at=issuer.created_at)


# ---- micro-credentials -----------------------------------------------------------------


class RubricLevel(RequestBody):
    id: Key = Field(examples=["proficient"])
    name: Name = Field(examples=["Proficient"])
    description: Description | None = None


class RubricSection(RequestBody):
    id: Key = Field(examples=["overview"])
    title: Name = Field(examples=["Overview questions"])
    prompt: Prompt = Field(examples=["Describe your classroom and the students you teach."])
    evidence: Literal["text"] = "text"
    required: bool = True
    levels: list[RubricLevel] = Field(min_length=2, max_length=10, description="Lowest first.")
    passing_level: Key = Field(examples=["proficient"])

    @model_validator(mode="after")
    def _levels_are_consistent(self) -> Self:
        level_ids = [level.id for level in self.levels]
        if len(set(level_ids)) != len(level_ids):
            raise ValueError(f"section {self.id!r}: level ids must be unique")
        if self.passing_level not in level_ids:
            raise ValueError(f"section {self.id!r}: passing_level must be one of {level_ids}")
        return self


DEFINITION_EXAMPLE = {
    "title": "Belonging and Caring Classroom Climate",
    "competency": "The educator creates a classroom climate where students feel cared for and that they belong.",
    "key_method": "Student check-in circles",
    "issuer_id": "0196d6f2-7c1a-7f00-8000-000000000001",
    "max_attempts": 3,
    "decision_policy": "manual",
    "sections": [
        {
            "id": "overview",
            "title": "Overview questions",
            "prompt": "Describe your classroom and the students you teach.",
            "evidence": "text",
            "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
            "passing_level": "proficient",
        }
    ],
}


class MicroCredentialDefinition(RequestBody):
    """What an issuer publishes; every publication is a new, immutable version."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEFINITION_EXAMPLE]})

    title: Name
    competency: LongText
    key_method: LongText
    issuer_id: Id
    max_attempts: int = Field(ge=1, le=10, description="Attempts an earner gets, resubmissions included.")
    decision_policy: Literal["manual", "auto"] = Field(
        default="manual", description="`auto`: the issuer accepts assessors' recommendations automatically."
    )
    sections: list[RubricSection] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _section_ids_are_unique(self) -> Self:
        section_ids = [section.id for section in self.sections]
        if len(set(section_ids)) != len(section_ids):
            raise ValueError("section ids must be unique")
        return self


class MicroCredentialView(MicroCredentialDefinition):
    # The published definition plus its identity; the request example does not fit here.
    model_config = ConfigDict(json_schema_extra=None)

    id: str
    version: int
    published_at: datetime

    @classmethod
    def of(cls, definition: MicroCredentialVersion) -> Self:
        return cls(
            id=definition.micro_credential_id,
            version=definition.version,
            issuer_id=definition.micro_credential.issuer_id,
            title=definition.title,
            competency=definition.competency,
            key_method=definition.key_method,
            max_attempts=definition.max_attempts,
            decision_policy=definition.decision_policy,
            sections=definition.sections,
            published_at=definition.published_at,
        )


# ---- decisions -------------------------------------------------------------------------


class DecisionRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "award", "note": "Congratulations."},
                {"decision": "deny", "resubmission_allowed": True, "note": "Please see the feedback."},
            ]
        }
    )

    decision: Literal["award", "deny"]
    note: LongText | None = Field(default=None, description="Shown to the earner with the outcome.")
    resubmission_allowed: bool = Field(
        default=False,
        description="With `deny`: open the submission for another attempt, if attempts remain.",
    )

    @model_validator(mode="after")
    def _resubmission_only_with_deny(self) -> Self:
        if self.decision == "award" and self.resubmission_allowed:
            raise ValueError("resubmission_allowed applies to a deny only")
        return self


class SectionResultView(BaseModel):
    section_id: str
    level: str
    feedback: str


class DecisionView(BaseModel):
    id: str
    submission_id: str
    attempt: int
    micro_credential_id: str
    micro_credential_version: int
    micro_credential_title: str
    recommendation: Literal["award", "resubmit"]
    sections: list[SectionResultView]
    assessor_note: str | None = Field(
        description="The assessor's private note to the issuer; never shown to the earner."
    )
    state: Literal["pending", "decided"]
    decision: Literal["award", "deny"] | None
    resubmission_allowed: bool
    outcome: Literal["awarded", "resubmission_open", "denied"] | None
    note: str | None
    decided_by: Literal["issuer", "policy"] | None
    created_at: datetime
    decided_at: datetime | None
    award_id: str | None

    @classmethod
    def of(cls, decision: Decision) -> Self:
        return cls(
            id=decision.id,
            submission_id=decision.submission_id,
            attempt=decision.attempt,
            micro_credential_id=decision.micro_credential_id,
            micro_credential_version=decision.micro_credential_version,
            micro_credential_title=decision.definition.title,
            recommendation=decision.recommendation,
            sections=decision.sections,
            assessor_note=decision.assessor_note,
            state=decision.state,
            decision=decision.decision,
            resubmission_allowed=decision.resubmission_allowed,
            outcome=decision.outcome,
            note=decision.note,
            decided_by=decision.decided_by,
            created_at=decision.created_at,
            decided_at=decision.decided_at,
            award_id=decision.award_id,
        )


# ---- credentials -----------------------------------------------------------------------


class RevokeRequest(RequestBody):
    reason: Description = Field(examples=["Awarded in error: the evidence was not the earner's own."])


class RevocationView(BaseModel):
    credential_id: str
    revoked_at: datetime
    reason: str


class IssuerKeyView(BaseModel):
    id: str
    public_key_multibase: str
    verification_method: str
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, key: IssuerKey, verification_method: str) -> Self:
        return cls(
            id=key.id,
            public_key_multibase=key.public_key_multibase,
            verification_method=verification_method,
            created_at=key.created_at,
            retired_at=key.retired_at,
        )


class VerificationCheck(BaseModel):
    check: Literal["proof", "schema", "status", "validity"]
    ok: bool
    detail: str


class VerificationView(BaseModel):
    verified: bool
    format: Literal["json-ld", "vc+jwt"]
    credential_id: str | None
    checks: list[VerificationCheck]


# ---- webhooks --------------------------------------------------------------------------


class WebhookEndpointCreate(RequestBody):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(without_nul)] = Field(
        examples=["https://platform.example.org/awardpath/webhooks"]
    )
    events: list[WebhookEventType] = Field(min_length=1, max_length=10)


class WebhookEndpointView(BaseModel):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> Self:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.event_types,
            enabled=endpoint.disabled_at is None,
            disabled_at=endpoint.disabled_at,
            disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at,
        )


class WebhookEndpointCreated(WebhookEndpointView):
    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_...`); shown once.")


class WebhookSecretRotated(BaseModel):
    id: str
    secret: str
    previous_secret_expires_at: datetime


class WebhookAttemptView(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> Self:
        return cls(
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


class WebhookDeliveryView(BaseModel):
    id: str
    webhook_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    event_type: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> Self:
        return cls(
            id=delivery.id,
            webhook_id=delivery.message_id,
            event_type=delivery.message.event_type,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if delivery.state == "pending" else None,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            created_at=delivery.created_at,
        )


class WebhookDeliveryDetail(WebhookDeliveryView):
    log: list[WebhookAttemptView]
