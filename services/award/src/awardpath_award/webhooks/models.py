"""Webhooks to platforms: their endpoints, the messages about their submissions, and each
message's delivery to each endpoint with the log of its HTTP attempts."""

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_award.database import Base
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.ids import new_id
from awardpath_shared.states import advance


class WebhookEventType(StrEnum):
    STATUS_CHANGED = "submission.status_changed"
    FEEDBACK_AVAILABLE = "submission.feedback_available"
    AWARDED = "submission.awarded"
    DENIED = "submission.denied"
    CREDENTIAL_REVOKED = "credential.revoked"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# A delivery is retried until it is delivered or given up; a redelivery makes it pending again.
TRANSITIONS = {
    DeliveryState.PENDING: frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED}),
    DeliveryState.DELIVERED: frozenset({DeliveryState.PENDING}),
    DeliveryState.FAILED: frozenset({DeliveryState.PENDING}),
}


class WebhookEndpoint(Base):
    """A platform's webhook receiver. Secrets are sealed with the master key; during a
    rotation the previous secret signs too, until `previous_secret_expires_at`. Its
    deliveries are numbered in the order they are to be sent (`last_position` is the latest)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[WebhookEventType]] = mapped_column(PydanticJson(list[WebhookEventType]))
    sealed_secret: Mapped[str] = mapped_column(Text)
    sealed_previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    last_position: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    def wants(self, event_type: WebhookEventType) -> bool:
        return event_type in self.event_types

    def next_position(self) -> int:
        """The place of a new delivery in this endpoint's line (the caller holds the row locked)."""
        self.last_position += 1
        return self.last_position

    def replace_secret(self, sealed_secret: str, previous_expires_at: datetime) -> None:
        """A new secret; the current one keeps signing beside it until `previous_expires_at`."""
        self.sealed_previous_secret = self.sealed_secret
        self.previous_secret_expires_at = previous_expires_at
        self.sealed_secret = sealed_secret

    def reseal(self, reseal: Callable[[str], str | None]) -> int:
        """Take its secrets sealed again (`reseal` gives None for one that stays as it is);
        returns how many changed."""
        changed = 0
        if (secret := reseal(self.sealed_secret)) is not None:
            self.sealed_secret, changed = secret, changed + 1
        if self.sealed_previous_secret and (previous := reseal(self.sealed_previous_secret)) is not None:
            self.sealed_previous_secret, changed = previous, changed + 1
        return changed

    def disable(self, reason: str, now: datetime) -> None:
        if self.disabled_at is None:
            self.disabled_at = now
            self.disabled_reason = reason

    def enable(self) -> None:
        self.disabled_at = None
        self.disabled_reason = None


class WebhookMessage(Base):
    """One webhook event about a submission; its id is the `webhook-id` every endpoint and
    every retry receives. Fanned out to endpoints once the submission's platform is known."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(100), index=True)
    event_type: Mapped[WebhookEventType] = mapped_column(EnumText(WebhookEventType, 50))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: the endpoint's delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class WebhookDelivery(Base):
    """A message to one endpoint: pending until delivered, or failed after the retry window.

    An endpoint's deliveries about one submission form a line, sent one at a time in
    `position` order: one is tried only once every earlier one of its line is delivered or
    failed (given up), and none of its line is in flight. Lines of other submissions go side
    by side, so one receiver error holds up only its own submission's news."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_id"),
        CheckConstraint("state in ('pending', 'delivered', 'failed')", name="state"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index(None, "endpoint_id", "position", unique=True),
        # The line of an endpoint: its pending deliveries in order.
        Index(None, "endpoint_id", "state", "position"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id"))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    state: Mapped[DeliveryState] = mapped_column(EnumText(DeliveryState, 20))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    give_up_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    message: Mapped[WebhookMessage] = relationship(lazy="raise")
    # Every HTTP attempt, oldest first (`attempts` counts them).
    log: Mapped[list[WebhookAttempt]] = relationship(lazy="raise", order_by=WebhookAttempt.id, viewonly=True)

    @classmethod
    def pending(cls, endpoint: WebhookEndpoint, message_id: str, now: datetime, window: timedelta) -> "WebhookDelivery":
        """A new delivery at the end of the endpoint's line, due at once (when its turn comes),
        retried until `window` from now. One whose window ran out while it waited in line is
        still tried once when its turn comes."""
        return cls(
            id=new_id(),
            endpoint_id=endpoint.id,
            message_id=message_id,
            position=endpoint.next_position(),
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            give_up_at=now + window,
            created_at=now,
        )

    @property
    def next_attempt(self) -> datetime | None:
        """When it is tried next: only a pending delivery has a next attempt."""
        return self.next_attempt_at if self.state == DeliveryState.PENDING else None

    def attempted(self, status_code: int | None, error: str | None) -> None:
        """Count an attempt and release the claim; a non-2xx answer is its error."""
        self.attempts += 1
        self.claimed_until = None
        self.last_status_code = status_code
        self.last_error = error if error else (None if status_code and status_code < 300 else f"HTTP {status_code}")

    def delivered(self, now: datetime) -> None:
        self.state = advance("webhook delivery", self.state, DeliveryState.DELIVERED, TRANSITIONS)
        self.delivered_at = now

    def failed(self, reason: str | None = None) -> None:
        self.state = advance("webhook delivery", self.state, DeliveryState.FAILED, TRANSITIONS)
        if reason is not None:
            self.last_error = reason

    def retry_at(self, moment: datetime) -> bool:
        """Try again at `moment`, or fail when that is past the retry window; False then."""
        if moment > self.give_up_at:
            self.failed()
            return False
        self.next_attempt_at = moment
        return True

    def redeliver(self, endpoint: WebhookEndpoint, now: datetime, window: timedelta) -> None:
        """Send again with a fresh retry window: a delivered or failed one joins the end of the
        endpoint's line (the caller holds the endpoint locked); a pending one keeps its place
        (and its claim, if it is being sent) and is due at once."""
        if self.state != DeliveryState.PENDING:
            self.state = advance("webhook delivery", self.state, DeliveryState.PENDING, TRANSITIONS)
            self.position = endpoint.next_position()
            self.claimed_until = None
        self.next_attempt_at = now
        self.give_up_at = now + window
