"""Bodies of webhooks: registering an endpoint, endpoints, secrets and the delivery log."""

from datetime import datetime
from typing import Annotated

from pydantic import AliasPath, Field, StringConstraints

from awardpath_award.webhooks.models import DeliveryState, WebhookEventType
from awardpath_shared.schemas import RequestBody, View


class WebhookEndpointCreate(RequestBody):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        examples=["https://platform.example.org/awardpath/webhooks"]
    )
    events: list[Annotated[WebhookEventType, Field(strict=False)]] = Field(min_length=1, max_length=10)


class WebhookEndpointView(View):
    id: str
    url: str
    events: list[WebhookEventType] = Field(validation_alias="event_types")
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime


class WebhookEndpointCreatedView(WebhookEndpointView):
    """A new endpoint and its secret (read from an `IssuedSecret`)."""

    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_...`); shown once.")


class WebhookSecretView(View):
    """A rotated secret (read from an `IssuedSecret`); the previous one signs until it expires."""

    id: str
    secret: str
    previous_secret_expires_at: datetime


class WebhookAttemptView(View):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDeliveryView(View):
    id: str
    webhook_id: str = Field(
        validation_alias="message_id", description="The `webhook-id` header: the same on every retry."
    )
    event_type: WebhookEventType = Field(validation_alias=AliasPath("message", "event_type"))
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(validation_alias="next_attempt")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookDeliveryDetailView(WebhookDeliveryView):
    log: list[WebhookAttemptView]
