"""HTTP endpoints of webhooks (platforms): endpoints, secret rotation, the delivery log and
redelivery. Deliveries follow Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from awardpath_award import repository, webhooks
from awardpath_award.credentials_api import Settings
from awardpath_award.schemas import (
    WebhookAttemptView,
    WebhookDeliveryDetail,
    WebhookDeliveryView,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointView,
    WebhookSecretRotated,
)
from awardpath_shared.auth import Principal, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from awardpath_shared.validation import PathId

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])

Platform = Annotated[Principal, Depends(require_role("platform"))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


@router.post("", status_code=201)
async def create_endpoint(
    body: WebhookEndpointCreate, session: DbSession, settings: Settings, platform: Platform
) -> WebhookEndpointCreated:
    """Register a receiver for the given event types of the caller's submissions. The URL
    must be https and public (unless configured otherwise). The secret is shown once."""
    endpoint, secret = await webhooks.create_endpoint(session, settings, platform.subject, body.url, list(body.events))
    return WebhookEndpointCreated(**WebhookEndpointView.of(endpoint).model_dump(), secret=secret)


@router.get("")
async def list_endpoints(
    session: DbSession, platform: Platform, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookEndpointView]:
    items, next_cursor = await webhooks.list_endpoints(session, platform.subject, cursor=cursor, limit=limit)
    return Page(items=[WebhookEndpointView.of(item) for item in items], next_cursor=next_cursor)


@router.get("/{endpoint_id}")
async def get_endpoint(endpoint_id: PathId, session: DbSession, platform: Platform) -> WebhookEndpointView:
    return WebhookEndpointView.of(await webhooks.get_endpoint(session, platform.subject, endpoint_id))


@router.post("/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: PathId, session: DbSession, settings: Settings, platform: Platform
) -> WebhookSecretRotated:
    """A new secret; deliveries carry signatures by both until the old one expires."""
    endpoint, secret = await webhooks.rotate_secret(session, settings, platform.subject, endpoint_id)
    assert endpoint.previous_secret_expires_at is not None
    return WebhookSecretRotated(
        id=endpoint.id, secret=secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


@router.post("/{endpoint_id}/enable")
async def enable_endpoint(endpoint_id: PathId, session: DbSession, platform: Platform) -> WebhookEndpointView:
    """Re-enable an endpoint disabled after a 410; its pending deliveries resume."""
    return WebhookEndpointView.of(await webhooks.enable_endpoint(session, platform.subject, endpoint_id))


@router.get("/{endpoint_id}/deliveries")
async def list_deliveries(
    endpoint_id: PathId,
    session: DbSession,
    platform: Platform,
    state: Literal["pending", "delivered", "failed"] | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[WebhookDeliveryView]:
    """The endpoint's delivery log, oldest first."""
    items, next_cursor = await webhooks.list_deliveries(
        session, platform.subject, endpoint_id, state=state, cursor=cursor, limit=limit
    )
    return Page(items=[WebhookDeliveryView.of(item) for item in items], next_cursor=next_cursor)


@router.get("/{endpoint_id}/deliveries/{delivery_id}")
async def get_delivery(
    endpoint_id: PathId, delivery_id: PathId, session: DbSession, platform: Platform
) -> WebhookDeliveryDetail:
    """One delivery with every attempt (status code or error, duration)."""
    delivery = await webhooks.get_delivery(session, platform.subject, endpoint_id, delivery_id)
    attempts = await repository.delivery_attempts(session, delivery.id)
    return WebhookDeliveryDetail(
        **WebhookDeliveryView.of(delivery).model_dump(), log=[WebhookAttemptView.of(item) for item in attempts]
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(
    endpoint_id: PathId, delivery_id: PathId, session: DbSession, settings: Settings, platform: Platform
) -> WebhookDeliveryView:
    """Send the delivery again now (same `webhook-id`), with a fresh retry window."""
    delivery = await webhooks.redeliver(session, settings, platform.subject, endpoint_id, delivery_id)
    return WebhookDeliveryView.of(delivery)
