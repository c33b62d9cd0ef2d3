"""Every table of the award service, in one place: what migrations and checks read."""

from awardpath_award.catalog.models import MicroCredential, MicroCredentialVersion
from awardpath_award.credentials.models import Credential, StatusList
from awardpath_award.database import Base, DeadLetter, IdempotencyKey, OutboxMessage, ProcessedEvent
from awardpath_award.decisions.models import Award, Decision, Withdrawal
from awardpath_award.issuers.models import Issuer
from awardpath_award.keys.models import IssuerKey
from awardpath_award.recipients.models import Recipient
from awardpath_award.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage

__all__ = [
    "Award",
    "Base",
    "Credential",
    "DeadLetter",
    "Decision",
    "IdempotencyKey",
    "Issuer",
    "IssuerKey",
    "MicroCredential",
    "MicroCredentialVersion",
    "OutboxMessage",
    "ProcessedEvent",
    "Recipient",
    "StatusList",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "Withdrawal",
]
