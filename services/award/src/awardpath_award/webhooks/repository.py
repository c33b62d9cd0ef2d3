from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from awardpath_award.recipients.models import Recipient
from awardpath_award.webhooks.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from awardpath_shared.db import keyset_page, take_advisory_lock
from awardpath_shared.leases import claim, due
from awardpath_shared.validation import is_wellformed_id

# Key of the PostgreSQL advisory lock serialising fan-out (any fixed number).
FAN_OUT_LOCK_KEY = 4_127_003


class WebhookRepository:
    """Endpoints, messages, deliveries and their attempts. Lists are keyset-paginated."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: WebhookEndpoint | WebhookMessage | WebhookDelivery | WebhookAttempt) -> None:
        self.session.add(row)

    # ---- endpoints ---------------------------------------------------------------------

    async def endpoint(self, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint | None:
        if not is_wellformed_id(endpoint_id):
            return None
        return await self.session.get(WebhookEndpoint, endpoint_id, with_for_update=for_update)

    async def every_endpoint_locked(self) -> list[WebhookEndpoint]:
        """Every endpoint, locked until the transaction ends (resealing after a rotation)."""
        return list(await self.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id).with_for_update()))

    async def endpoints_of(self, platform_id: str, *, after: str | None, limit: int) -> list[WebhookEndpoint]:
        query = select(WebhookEndpoint).where(WebhookEndpoint.platform_id == platform_id)
        return list(await self.session.scalars(keyset_page(query, WebhookEndpoint.id, after, limit)))

    async def enabled_endpoints_of(self, platform_ids: Collection[str]) -> list[WebhookEndpoint]:
        """The platforms' enabled endpoints, locked (in id order): deliveries join their lines."""
        query = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.platform_id.in_(platform_ids), WebhookEndpoint.disabled_at.is_(None))
            .order_by(WebhookEndpoint.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(await self.session.scalars(query))

    async def endpoints_by_id(self, endpoint_ids: Collection[str]) -> dict[str, WebhookEndpoint]:
        found = await self.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))
        return {endpoint.id: endpoint for endpoint in found}

    # ---- messages ----------------------------------------------------------------------

    async def take_fan_out_turn(self) -> None:
        """Make this transaction the only one fanning out until it ends: messages join the
        endpoints' lines in the order they were made, never a later one before an earlier
        one another worker holds. SQLite's transactions already run one at a time."""
        await take_advisory_lock(self.session, FAN_OUT_LOCK_KEY)

    async def messages_to_fan_out(self, limit: int) -> list[tuple[WebhookMessage, str]]:
        """Messages not yet fanned out whose platform is known, with that platform, oldest
        first (take the fan-out turn first)."""
        query = (
            select(WebhookMessage, Recipient.platform_id)
            .join(Recipient, Recipient.submission_id == WebhookMessage.submission_id)
            .where(WebhookMessage.fanned_out_at.is_(None))
            .order_by(WebhookMessage.id)
            .limit(limit)
        )
        return [(message, platform_id) for message, platform_id in (await self.session.execute(query)).all()]

    async def messages_by_id(self, message_ids: Collection[str]) -> dict[str, WebhookMessage]:
        found = await self.session.scalars(select(WebhookMessage).where(WebhookMessage.id.in_(message_ids)))
        return {message.id: message for message in found}

    # ---- deliveries --------------------------------------------------------------------

    async def delivery_backlog(self) -> dict[str, int]:
        """Deliveries still to send (of which retrying after a failure) and given up, for
        `/metrics` (`awardpath_pending_work`)."""
        pending = WebhookDelivery.state == DeliveryState.PENDING
        query = select(
            func.count().filter(pending),
            func.count().filter(pending, WebhookDelivery.attempts > 0),
            func.count().filter(WebhookDelivery.state == DeliveryState.FAILED),
        )
        waiting, retrying, failed = (await self.session.execute(query)).one()
        return {
            "webhook_deliveries_pending": waiting,
            "webhook_deliveries_retrying": retrying,
            "webhook_deliveries_failed": failed,
        }

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[WebhookDelivery]:
        """The first delivery of each line (an endpoint's deliveries about one submission), when
        it is due and none of its line is held (being sent): at most one per line, held for
        `lease`. A claim that runs concurrently skips the row this one locked, and finds the
        rows behind it still waiting for it."""
        other, others_message = aliased(WebhookDelivery), aliased(WebhookMessage)
        same_line = (
            (other.endpoint_id == WebhookDelivery.endpoint_id)
            & (other.state == DeliveryState.PENDING)
            & (others_message.id == other.message_id)
            & (others_message.submission_id == WebhookMessage.submission_id)
        )
        earlier_in_line = exists().where(same_line, other.position < WebhookDelivery.position)
        one_in_flight = exists().where(same_line, other.id != WebhookDelivery.id, other.claimed_until > now)
        candidates = (
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
            .where(
                WebhookDelivery.state == DeliveryState.PENDING,
                due(WebhookDelivery, now),
                WebhookEndpoint.disabled_at.is_(None),
                ~earlier_in_line,
                ~one_in_flight,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        return await claim(self.session, candidates, table=WebhookDelivery, now=now, lease=lease)

    async def deliveries_to(
        self, endpoint_id: str, *, state: DeliveryState | None, after: str | None, limit: int
    ) -> list[WebhookDelivery]:
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.message))
        )
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        return list(await self.session.scalars(keyset_page(query, WebhookDelivery.id, after, limit)))

    async def delivery(
        self, delivery_id: str, *, for_update: bool = False, with_log: bool = False
    ) -> WebhookDelivery | None:
        """A delivery with its message (and its attempts, `with_log`)."""
        if not is_wellformed_id(delivery_id):
            return None
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .options(selectinload(WebhookDelivery.message))
        )
        if with_log:
            query = query.options(selectinload(WebhookDelivery.log))
        if for_update:
            query = query.with_for_update(of=WebhookDelivery).execution_options(populate_existing=True)
        return await self.session.scalar(query)
