"""Webhooks to platforms. Through the API, a platform's endpoints (registration, secret
rotation, re-enabling) and their delivery logs (reading, redelivering); behind it, the rows of
delivery: messages fanned out to the endpoints that want them, due deliveries claimed with a
lease, and each attempt's outcome recorded. 2xx delivers; 410 disables the endpoint; anything
else is retried with backoff until the retry window is over.

Order: each endpoint's deliveries form a line (`WebhookDelivery.position`, given at fan-out in
the order the messages were made), sent one at a time: the next is tried only once the one
before is delivered or given up (failed), so a platform gets a submission's statuses in its
timeline's order and never two requests at once. A failed delivery no longer holds the line;
a disabled endpoint's line waits for it to be enabled again."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from awardpath_award.keys import sealing
from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.guard import TargetRefused, check_target
from awardpath_award.webhooks.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from awardpath_award.webhooks.retries import parse_retry_after, retry_delay
from awardpath_award.webhooks.sender import AttemptOutcome, ClaimedDelivery
from awardpath_award.webhooks.signing import new_secret
from awardpath_shared.errors import Conflict, Forbidden, Invalid, NotFound
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedSecret:
    """An endpoint and its new signing secret, shown this once; it reads as the endpoint too."""

    endpoint: WebhookEndpoint
    secret: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.endpoint, name)


class WebhookService:
    """What a platform does with its webhooks through the API."""

    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def create_endpoint(self, platform_id: str, url: str, event_types: list[WebhookEventType]) -> IssuedSecret:
        """Register an endpoint; returns it with its secret (shown once)."""
        try:
            await check_target(url, self.settings)
        except TargetRefused as error:
            raise Invalid("webhook-url-refused", "Webhook URL refused", str(error)) from error
        secret = new_secret()
        endpoint_id = new_id()
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            platform_id=platform_id,
            url=url,
            event_types=sorted({WebhookEventType(event_type) for event_type in event_types}),
            sealed_secret=sealing.seal(secret.encode(), self.settings.master_key, endpoint_id),
            created_at=utcnow(),
        )
        self.uow.webhooks.add(endpoint)
        await self.uow.flush()
        return IssuedSecret(endpoint, secret)

    async def get_endpoint(self, platform_id: str, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint:
        endpoint = await self.uow.webhooks.endpoint(endpoint_id, for_update=for_update)
        if endpoint is None:
            raise NotFound("webhook endpoint", endpoint_id)
        if endpoint.platform_id != platform_id:
            raise Forbidden("this webhook endpoint belongs to another platform")
        return endpoint

    async def list_endpoints(self, platform_id: str, *, cursor: str | None, limit: int) -> Paged[WebhookEndpoint]:
        return await fetch_page(
            lambda after, size: self.uow.webhooks.endpoints_of(platform_id, after=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda endpoint: endpoint.id,
        )

    async def rotate_secret(self, platform_id: str, endpoint_id: str) -> IssuedSecret:
        """A new secret; the previous one keeps signing beside it for the overlap period, so
        receivers can switch without missing a delivery."""
        endpoint = await self.get_endpoint(platform_id, endpoint_id, for_update=True)
        secret = new_secret()
        endpoint.replace_secret(
            sealing.seal(secret.encode(), self.settings.master_key, endpoint.id),
            utcnow() + timedelta(seconds=self.settings.webhook_secret_overlap_seconds),
        )
        await self.uow.flush()
        return IssuedSecret(endpoint, secret)

    async def enable_endpoint(self, platform_id: str, endpoint_id: str) -> WebhookEndpoint:
        """Re-enable an endpoint that was disabled (after a 410); its pending deliveries resume."""
        endpoint = await self.get_endpoint(platform_id, endpoint_id, for_update=True)
        endpoint.enable()
        await self.uow.flush()
        return endpoint

    async def list_deliveries(
        self, platform_id: str, endpoint_id: str, *, state: DeliveryState | None, cursor: str | None, limit: int
    ) -> Paged[WebhookDelivery]:
        await self.get_endpoint(platform_id, endpoint_id)
        return await fetch_page(
            lambda after, size: self.uow.webhooks.deliveries_to(endpoint_id, state=state, after=after, limit=size),
            cursor=cursor,
            limit=limit,
            position=lambda delivery: delivery.id,
        )

    async def get_delivery(
        self, platform_id: str, endpoint_id: str, delivery_id: str, *, for_update: bool = False
    ) -> WebhookDelivery:
        """A delivery with its message and the log of its attempts."""
        await self.get_endpoint(platform_id, endpoint_id)
        delivery = await self.uow.webhooks.delivery(delivery_id, for_update=for_update, with_log=True)
        if delivery is None or delivery.endpoint_id != endpoint_id:
            raise NotFound("webhook delivery", delivery_id)
        return delivery

    async def redeliver(self, platform_id: str, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Send a delivery again (same `webhook-id`) with a fresh retry window: a delivered or
        failed one at the end of the endpoint's line, a pending one at once when its turn comes."""
        endpoint = await self.get_endpoint(platform_id, endpoint_id, for_update=True)
        if not endpoint.enabled:
            raise Conflict("endpoint-disabled", "Endpoint disabled", "enable the endpoint before redelivering to it")
        delivery = await self.get_delivery(platform_id, endpoint_id, delivery_id, for_update=True)
        delivery.redeliver(endpoint, utcnow(), timedelta(seconds=self.settings.webhook_retry_window_seconds))
        await self.uow.flush()
        return delivery


class DeliveryService:
    """The delivery rows behind the worker: fan-out, claims, the outcome of each attempt."""

    def __init__(self, uow: AwardUnitOfWork, settings: AwardSettings) -> None:
        self.uow = uow
        self.settings = settings

    async def fan_out(self) -> int:
        """One delivery per subscribed, enabled endpoint of the submission's platform, for
        every message whose platform is known: at the end of each endpoint's line, in the
        order the messages were made (one fan-out at a time); returns how many messages."""
        await self.uow.webhooks.take_fan_out_turn()
        rows = await self.uow.webhooks.messages_to_fan_out(self.settings.webhook_batch_size)
        if not rows:
            return 0
        by_platform: dict[str, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in await self.uow.webhooks.enabled_endpoints_of({platform_id for _, platform_id in rows}):
            by_platform[endpoint.platform_id].append(endpoint)
        now = utcnow()
        window = timedelta(seconds=self.settings.webhook_retry_window_seconds)
        for message, platform_id in rows:
            for endpoint in by_platform[platform_id]:
                if endpoint.wants(message.event_type):
                    self.uow.webhooks.add(WebhookDelivery.pending(endpoint, message.id, now, window))
            message.fanned_out_at = now
        await self.uow.flush()
        return len(rows)

    async def claim_due(self) -> list[ClaimedDelivery]:
        """The due delivery at the head of each endpoint's line (one per endpoint), held for
        longer than the longest possible attempt (the whole request is time-boxed), with
        their endpoints and messages."""
        lease = timedelta(seconds=self.settings.webhook_timeout_seconds + 5)
        deliveries = await self.uow.webhooks.claim_due(utcnow(), lease, self.settings.webhook_batch_size)
        if not deliveries:
            return []
        endpoints = await self.uow.webhooks.endpoints_by_id({delivery.endpoint_id for delivery in deliveries})
        messages = await self.uow.webhooks.messages_by_id({delivery.message_id for delivery in deliveries})
        return [
            ClaimedDelivery(delivery.id, endpoints[delivery.endpoint_id], messages[delivery.message_id])
            for delivery in deliveries
        ]

    async def record(self, claimed: ClaimedDelivery, outcome: AttemptOutcome) -> None:
        """Log the attempt and move the delivery on: delivered, failed, or due again later."""
        now = utcnow()
        delivery = await self.uow.webhooks.delivery(claimed.delivery_id, for_update=True)
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return
        self.uow.webhooks.add(
            WebhookAttempt(
                id=new_id(),
                delivery_id=delivery.id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempted(outcome.status_code, outcome.error)
        if outcome.succeeded:
            delivery.delivered(now)
        elif outcome.status_code == 410:
            delivery.failed("410 Gone: the endpoint was disabled")
            endpoint = await self.uow.webhooks.endpoint(claimed.endpoint.id, for_update=True)
            if endpoint is not None and endpoint.enabled:
                endpoint.disable("the receiver answered 410 Gone", now)
                logger.warning("webhook endpoint %s disabled after 410 Gone", endpoint.id)
        else:
            delay = retry_delay(delivery.attempts, parse_retry_after(outcome.retry_after, now), self.settings)
            if not delivery.retry_at(now + timedelta(seconds=delay)):
                logger.warning("webhook delivery %s failed after %d attempts", delivery.id, delivery.attempts)
        await self.uow.flush()
