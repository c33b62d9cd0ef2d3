"""Standard Webhooks signing: endpoint secrets (`whsec_...`, sealed at rest) and the signed
request of a message, one `v1,` signature per secret in use."""

import base64
import json
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from awardpath_award.credentials.timestamps import iso
from awardpath_award.keys import sealing
from awardpath_award.webhooks.models import WebhookEndpoint, WebhookMessage

USER_AGENT = "Awardpath-Webhooks/1"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in standard base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signing_secrets(endpoint: WebhookEndpoint, master_keys: tuple[str, ...], now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while its overlap lasts."""
    sealed = [endpoint.sealed_secret]
    if (
        endpoint.sealed_previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        sealed.append(endpoint.sealed_previous_secret)
    return [sealing.unseal(value, master_keys, endpoint.id).decode() for value in sealed]


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
