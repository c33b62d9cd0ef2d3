"""One HTTP attempt of a webhook delivery: the address guard, the signed request, a bounded
wait for the status code (the receiver's body is never read). The URL is checked here; the
addresses are checked as they are connected to, by the client of `pinning.webhook_client`."""

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from awardpath_award.settings import AwardSettings
from awardpath_award.webhooks.guard import TargetRefused, check_url
from awardpath_award.webhooks.models import WebhookEndpoint, WebhookMessage
from awardpath_award.webhooks.signing import signed_request, signing_secrets
from awardpath_shared.ids import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds, with what sending it needs."""

    delivery_id: str
    endpoint: WebhookEndpoint
    message: WebhookMessage


@dataclass(frozen=True)
class AttemptOutcome:
    """What one HTTP attempt came to: the status code, or the error that prevented one."""

    status_code: int | None
    error: str | None
    retry_after: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, settings: AwardSettings) -> None:
        self._client = client
        self._settings = settings

    async def send(self, claimed: ClaimedDelivery) -> AttemptOutcome:
        endpoint, timeout = claimed.endpoint, self._settings.webhook_timeout_seconds
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        retry_after: str | None = None
        try:
            check_url(endpoint.url, self._settings)
            now = utcnow()
            secrets = signing_secrets(endpoint, self._settings.master_keys, now)
            body, headers = signed_request(claimed.message, secrets, now)
            async with asyncio.timeout(timeout):
                # Streamed and never read: a receiver's response body is not our business.
                async with self._client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                    status_code = response.status_code
                    retry_after = response.headers.get("retry-after")
        except TargetRefused as refused:
            error = f"target refused: {refused}"
        except TimeoutError:
            error = f"no response within {timeout}s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # recorded and retried like any failed attempt
            logger.exception("webhook delivery %s could not be attempted", claimed.delivery_id)
            error = f"could not send: {failure!r}"
        return AttemptOutcome(status_code, error, retry_after, int((time.monotonic() - started) * 1000))
