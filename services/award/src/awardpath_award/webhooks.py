"""Webhooks to platforms (Standard Webhooks): endpoints, the messages about a platform's
submissions, and the delivery log. Functions flush, never commit; delivery itself is the
`WebhookDeliveryWorker`'s job.

A message is staged in the transaction of the change it reports, keyed by submission; once
the submission's platform is known (from `recipient.identified`) the worker fans it out to
that platform's endpoints subscribed to its type. Payloads are ids and statuses only.
"""

import asyncio
import base64
import ipaddress
import secrets
import socket
from datetime import timedelta
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import keys, repository
from awardpath_award.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from awardpath_award.settings import AwardSettings
from awardpath_shared.auth import forbidden
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import fetch_page
from awardpath_shared.problems import conflict, not_found, unprocessable

WebhookEventType = Literal[
    "submission.status_changed",
    "submission.feedback_available",
    "submission.awarded",
    "submission.denied",
    "credential.revoked",
]
WEBHOOK_EVENT_TYPES: tuple[str, ...] = get_args(WebhookEventType)


def notify(session: AsyncSession, submission_id: str, event_type: WebhookEventType, data: dict[str, Any]) -> None:
    """Stage a webhook message about a submission in the caller's transaction."""
    session.add(
        WebhookMessage(
            id="msg_" + new_id().replace("-", ""),
            submission_id=submission_id,
            event_type=event_type,
            data={"submission_id": submission_id, **data},
            created_at=utcnow(),
        )
    )


def status_changed(session: AsyncSession, submission_id: str, status: str, attempt: int) -> None:
    notify(session, submission_id, "submission.status_changed", {"status": status, "attempt": attempt})


# ---- endpoint URLs ---------------------------------------------------------------------


class TargetRefused(ValueError):
    """A webhook URL this service will not call; the message says why."""


async def check_target(url: str, settings: AwardSettings) -> None:
    """https only (http when allowed for local development); every address the host
    resolves to must be public unless private targets are allowed. Checked on registration
    and again before every delivery (DNS may change)."""
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise TargetRefused(f"the URL must use {' or '.join(allowed_schemes)}")
    if not parts.hostname or parts.username or parts.password:
        raise TargetRefused("the URL needs a host and no user information")
    if settings.webhook_allow_private_targets:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise TargetRefused(f"the host {parts.hostname!r} does not resolve: {error}") from error
    for *_, address in found:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise TargetRefused(f"{parts.hostname!r} resolves to {ip}, a private, loopback or link-local address")


# ---- endpoints -------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in standard base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def create_endpoint(
    session: AsyncSession, settings: AwardSettings, platform_id: str, url: str, event_types: list[str]
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret (shown once)."""
    await _checked(url, settings)
    secret = new_secret()
    endpoint_id = new_id()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        platform_id=platform_id,
        url=url,
        event_types=sorted(set(event_types)),
        sealed_secret=keys.seal(secret.encode(), settings.master_key, endpoint_id),
        created_at=utcnow(),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def _checked(url: str, settings: AwardSettings) -> None:
    try:
        await check_target(url, settings)
    except TargetRefused as error:
        raise unprocessable("webhook-url-refused", "Webhook URL refused", str(error)) from error


async def get_endpoint(
    session: AsyncSession, platform_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id, with_for_update=for_update)
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id)
    if endpoint.platform_id != platform_id:
        raise forbidden("this webhook endpoint belongs to another platform")
    return endpoint


async def list_endpoints(
    session: AsyncSession, platform_id: str, *, cursor: str | None, limit: int
) -> tuple[list[WebhookEndpoint], str | None]:
    return await fetch_page(
        lambda after, size: repository.list_webhook_endpoints(session, platform_id, after=after, limit=size),
        cursor=cursor,
        limit=limit,
        position=lambda endpoint: endpoint.id,
    )


async def rotate_secret(
    session: AsyncSession, settings: AwardSettings, platform_id: str, endpoint_id: str
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the previous one keeps signing beside it for the overlap period, so
    receivers can switch without missing a delivery."""
    endpoint = await get_endpoint(session, platform_id, endpoint_id, for_update=True)
    secret = new_secret()
    endpoint.sealed_previous_secret = endpoint.sealed_secret
    endpoint.previous_secret_expires_at = utcnow() + timedelta(seconds=settings.webhook_secret_overlap_seconds)
    endpoint.sealed_secret = keys.seal(secret.encode(), settings.master_key, endpoint.id)
    await session.flush()
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, settings: AwardSettings) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while its overlap lasts."""
    sealed = [endpoint.sealed_secret]
    if (
        endpoint.sealed_previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > utcnow()
    ):
        sealed.append(endpoint.sealed_previous_secret)
    return [keys.unseal(value, settings.master_key, endpoint.id).decode() for value in sealed]


async def enable_endpoint(session: AsyncSession, platform_id: str, endpoint_id: str) -> WebhookEndpoint:
    """Re-enable an endpoint that was disabled (after a 410); its pending deliveries resume."""
    endpoint = await get_endpoint(session, platform_id, endpoint_id, for_update=True)
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    await session.flush()
    return endpoint


# ---- delivery log ----------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession, platform_id: str, endpoint_id: str, *, state: str | None, cursor: str | None, limit: int
) -> tuple[list[WebhookDelivery], str | None]:
    await get_endpoint(session, platform_id, endpoint_id)
    return await fetch_page(
        lambda after, size: repository.list_deliveries(session, endpoint_id, state=state, after=after, limit=size),
        cursor=cursor,
        limit=limit,
        position=lambda delivery: delivery.id,
    )


async def get_delivery(
    session: AsyncSession, platform_id: str, endpoint_id: str, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery:
    await get_endpoint(session, platform_id, endpoint_id)
    delivery = await repository.get_delivery(session, delivery_id, for_update=for_update)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise not_found("webhook delivery", delivery_id)
    return delivery


async def redeliver(
    session: AsyncSession, settings: AwardSettings, platform_id: str, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again (same `webhook-id`), now, with a fresh retry window."""
    endpoint = await get_endpoint(session, platform_id, endpoint_id)
    if endpoint.disabled_at is not None:
        raise conflict("endpoint-disabled", "Endpoint disabled", "enable the endpoint before redelivering to it")
    delivery = await get_delivery(session, platform_id, endpoint_id, delivery_id, for_update=True)
    now = utcnow()
    delivery.state = "pending"
    delivery.next_attempt_at = now
    delivery.give_up_at = now + timedelta(seconds=settings.webhook_retry_window_seconds)
    delivery.claimed_until = None
    await session.flush()
    return delivery
