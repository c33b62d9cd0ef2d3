"""The webhook delivery worker: fans messages out to endpoints and delivers them durably.

Everything is rows: a pass claims due deliveries with a short lease (`FOR UPDATE SKIP
LOCKED` on PostgreSQL, so replicas never send the same row at once), sends each with a
bounded timeout, and records the attempt. 2xx delivers; 410 disables the endpoint; anything
else is retried with exponential backoff and jitter (at least `Retry-After`) until the
retry window (about three days) is over. A restart loses nothing: unsent rows stay pending
and a claim left by a dead process expires with its lease. Retries reuse the message id as
`webhook-id`, so receivers drop duplicates.
"""

import asyncio
import json
import logging
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from awardpath_award import webhooks
from awardpath_award.credentials import iso
from awardpath_award.models import Recipient, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from awardpath_award.settings import AwardSettings
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.periodic import PeriodicTask

logger = logging.getLogger(__name__)

USER_AGENT = "Awardpath-Webhooks/1"


def retry_delay(attempts: int, retry_after: float | None, settings: AwardSettings) -> float:
    """Seconds before the next attempt: exponential from the base, capped, with jitter
    (half fixed, half random), and never sooner than the receiver's Retry-After."""
    backoff = min(settings.webhook_retry_max_delay_seconds, settings.webhook_retry_base_seconds * 2 ** (attempts - 1))
    jittered = backoff / 2 + random.uniform(0, backoff / 2)
    return max(jittered, retry_after or 0.0)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def signed_request(message: WebhookMessage, secrets: list[str], sent_at: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers: one `v1,` signature per active secret."""
    body = json.dumps(
        {"type": message.event_type, "timestamp": iso(message.created_at), "data": message.data},
        separators=(",", ":"),
    )
    signatures = " ".join(Webhook(secret).sign(message.id, sent_at, body) for secret in secrets)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
    }
    return body.encode(), headers


class WebhookDeliveryWorker:
    """Sends due webhook deliveries every `webhook_poll_interval_seconds` (a runtime worker)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: AwardSettings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._loop = PeriodicTask("webhook-delivery", self.run_once, settings.webhook_poll_interval_seconds)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_once(self) -> int:
        """One pass: fan out new messages, then send every due delivery; returns how many
        deliveries were attempted."""
        await self.fan_out()
        claimed = await self._claim()
        if claimed:
            async with httpx.AsyncClient(
                follow_redirects=False, timeout=self._settings.webhook_timeout_seconds
            ) as client:
                await asyncio.gather(*(self._deliver(client, *item) for item in claimed))
        return len(claimed)

    async def fan_out(self) -> None:
        """One delivery per subscribed, enabled endpoint of the submission's platform, for
        every message whose platform is known."""
        async with self._sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(WebhookMessage, Recipient.platform_id)
                    .join(Recipient, Recipient.submission_id == WebhookMessage.submission_id)
                    .where(WebhookMessage.fanned_out_at.is_(None))
                    .order_by(WebhookMessage.id)
                    .limit(self._settings.webhook_batch_size)
                    .with_for_update(of=WebhookMessage, skip_locked=True)
                )
            ).all()
            if not rows:
                return
            endpoints = await session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.platform_id.in_({platform_id for _, platform_id in rows}),
                    WebhookEndpoint.disabled_at.is_(None),
                )
            )
            by_platform: dict[str, list[WebhookEndpoint]] = defaultdict(list)
            for endpoint in endpoints:
                by_platform[endpoint.platform_id].append(endpoint)
            now = utcnow()
            window = timedelta(seconds=self._settings.webhook_retry_window_seconds)
            for message, platform_id in rows:
                for endpoint in by_platform[platform_id]:
                    if message.event_type in endpoint.event_types:
                        session.add(
                            WebhookDelivery(
                                id=new_id(),
                                endpoint_id=endpoint.id,
                                message_id=message.id,
                                state="pending",
                                attempts=0,
                                next_attempt_at=now,
                                give_up_at=now + window,
                                created_at=now,
                            )
                        )
                message.fanned_out_at = now

    async def _claim(self) -> list[tuple[str, WebhookEndpoint, WebhookMessage]]:
        now = utcnow()
        # A claim outlives the longest possible attempt (the whole request is time-boxed).
        lease = timedelta(seconds=self._settings.webhook_timeout_seconds + 5)
        async with self._sessions() as session, session.begin():
            deliveries = list(
                await session.scalars(
                    select(WebhookDelivery)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .where(
                        WebhookDelivery.state == "pending",
                        WebhookDelivery.next_attempt_at <= now,
                        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
                        WebhookEndpoint.disabled_at.is_(None),
                    )
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(self._settings.webhook_batch_size)
                    .with_for_update(of=WebhookDelivery, skip_locked=True)
                )
            )
            if not deliveries:
                return []
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([delivery.id for delivery in deliveries]))
                .values(claimed_until=now + lease)
            )
            endpoints = {
                endpoint.id: endpoint
                for endpoint in await session.scalars(
                    select(WebhookEndpoint).where(WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries}))
                )
            }
            messages = {
                message.id: message
                for message in await session.scalars(
                    select(WebhookMessage).where(WebhookMessage.id.in_({d.message_id for d in deliveries}))
                )
            }
        return [(d.id, endpoints[d.endpoint_id], messages[d.message_id]) for d in deliveries]

    async def _deliver(
        self, client: httpx.AsyncClient, delivery_id: str, endpoint: WebhookEndpoint, message: WebhookMessage
    ) -> None:
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        retry_after: str | None = None
        try:
            await webhooks.check_target(endpoint.url, self._settings)
            body, headers = signed_request(message, webhooks.signing_secrets(endpoint, self._settings), utcnow())
            async with asyncio.timeout(self._settings.webhook_timeout_seconds):
                # Streamed and never read: a receiver's response body is not our business.
                async with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                    status_code = response.status_code
                    retry_after = response.headers.get("retry-after")
        except webhooks.TargetRefused as refused:
            error = f"target refused: {refused}"
        except TimeoutError:
            error = f"no response within {self._settings.webhook_timeout_seconds}s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # recorded and retried like any failed attempt
            logger.exception("webhook delivery %s could not be attempted", delivery_id)
            error = f"could not send: {failure!r}"
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(delivery_id, endpoint.id, status_code, error, retry_after, duration_ms)

    async def _record(
        self,
        delivery_id: str,
        endpoint_id: str,
        status_code: int | None,
        error: str | None,
        retry_after: str | None,
        duration_ms: int,
    ) -> None:
        now = utcnow()
        async with self._sessions() as session, session.begin():
            delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.state != "pending":
                return
            session.add(
                WebhookAttempt(
                    id=new_id(),
                    delivery_id=delivery_id,
                    attempted_at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            delivery.attempts += 1
            delivery.claimed_until = None
            delivery.last_status_code = status_code
            delivery.last_error = (
                error if error else (None if status_code and status_code < 300 else f"HTTP {status_code}")
            )
            if status_code is not None and 200 <= status_code < 300:
                delivery.state = "delivered"
                delivery.delivered_at = now
            elif status_code == 410:
                delivery.state = "failed"
                delivery.last_error = "410 Gone: the endpoint was disabled"
                endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
                if endpoint is not None and endpoint.disabled_at is None:
                    endpoint.disabled_at = now
                    endpoint.disabled_reason = "the receiver answered 410 Gone"
                    logger.warning("webhook endpoint %s disabled after 410 Gone", endpoint_id)
            else:
                delay = retry_delay(delivery.attempts, parse_retry_after(retry_after, now), self._settings)
                next_attempt_at = now + timedelta(seconds=delay)
                if next_attempt_at > delivery.give_up_at:
                    delivery.state = "failed"
                    logger.warning("webhook delivery %s failed after %d attempts", delivery_id, delivery.attempts)
                else:
                    delivery.next_attempt_at = next_attempt_at
