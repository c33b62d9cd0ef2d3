"""HTTP entry points of webhooks (platforms): endpoints, secret rotation, the delivery log
and redelivery. Deliveries follow Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`)."""

from typing import Annotated

from fastapi import Depends, status

from awardpath_award.dependencies import Platform, RequestUnitOfWork, Settings
from awardpath_award.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from awardpath_award.webhooks.schemas import (
    WebhookDeliveryDetailView,
    WebhookDeliveryView,
    WebhookEndpointCreate,
    WebhookEndpointCreatedView,
    WebhookEndpointView,
    WebhookSecretView,
)
from awardpath_award.webhooks.service import IssuedSecret, WebhookService
from awardpath_shared.idempotent_requests import answers_with_a_secret
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId

router = service_router(tags=["webhooks"])


def _webhooks(uow: RequestUnitOfWork, settings: Settings) -> WebhookService:
    return WebhookService(uow, settings)


Webhooks = Annotated[WebhookService, Depends(_webhooks)]


@router.post("/v1/webhook-endpoints", status_code=status.HTTP_201_CREATED, response_model=WebhookEndpointCreatedView)
@answers_with_a_secret
async def create_endpoint(body: WebhookEndpointCreate, webhooks: Webhooks, platform: Platform) -> IssuedSecret:
    """Register a receiver for the given event types of the caller's submissions. The URL
    must be https and public (unless configured otherwise). The secret is shown once."""
    return await webhooks.create_endpoint(platform.subject, body.url, list(body.events))


@router.get("/v1/webhook-endpoints", response_model=Page[WebhookEndpointView])
async def list_endpoints(
    webhooks: Webhooks, platform: Platform, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[WebhookEndpoint]:
    return await webhooks.list_endpoints(platform.subject, cursor=cursor, limit=limit)


@router.get("/v1/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointView)
async def get_endpoint(endpoint_id: PathId, webhooks: Webhooks, platform: Platform) -> WebhookEndpoint:
    return await webhooks.get_endpoint(platform.subject, endpoint_id)


@router.post("/v1/webhook-endpoints/{endpoint_id}/rotate-secret", response_model=WebhookSecretView)
@answers_with_a_secret
async def rotate_secret(endpoint_id: PathId, webhooks: Webhooks, platform: Platform) -> IssuedSecret:
    """A new secret; deliveries carry signatures by both until the old one expires."""
    return await webhooks.rotate_secret(platform.subject, endpoint_id)


@router.post("/v1/webhook-endpoints/{endpoint_id}/enable", response_model=WebhookEndpointView)
async def enable_endpoint(endpoint_id: PathId, webhooks: Webhooks, platform: Platform) -> WebhookEndpoint:
    """Re-enable an endpoint disabled after a 410; its pending deliveries resume."""
    return await webhooks.enable_endpoint(platform.subject, endpoint_id)


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryView])
async def list_deliveries(
    endpoint_id: PathId,
    webhooks: Webhooks,
    platform: Platform,
    state: DeliveryState | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paged[WebhookDelivery]:
    """The endpoint's delivery log, oldest first."""
    return await webhooks.list_deliveries(platform.subject, endpoint_id, state=state, cursor=cursor, limit=limit)


@router.get("/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}", response_model=WebhookDeliveryDetailView)
async def get_delivery(
    endpoint_id: PathId, delivery_id: PathId, webhooks: Webhooks, platform: Platform
) -> WebhookDelivery:
    """One delivery with every attempt (status code or error, duration)."""
    return await webhooks.get_delivery(platform.subject, endpoint_id, delivery_id)


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookDeliveryView,
)
async def redeliver(
    endpoint_id: PathId, delivery_id: PathId, webhooks: Webhooks, platform: Platform
) -> WebhookDelivery:
    """Send the delivery again now (same `webhook-id`), with a fresh retry window."""
    return await webhooks.redeliver(platform.subject, endpoint_id, delivery_id)
