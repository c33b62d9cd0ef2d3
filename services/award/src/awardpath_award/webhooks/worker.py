"""The webhook delivery worker, a background worker of the award runtime: every
`webhook_poll_interval_seconds` it fans new messages out, claims the due deliveries and sends
them, each in units of work of its own.

A restart loses nothing: unsent rows stay pending and a claim left by a dead process expires
with its lease. Retries reuse the message id as `webhook-id`, so receivers drop duplicates.
"""

import asyncio

from awardpath_award.settings import AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.webhooks.pinning import webhook_client
from awardpath_award.webhooks.sender import ClaimedDelivery, WebhookSender
from awardpath_award.webhooks.service import DeliveryService
from awardpath_shared.periodic import PeriodicTask
from awardpath_shared.runtime import ServiceRuntime


class WebhookDeliveryWorker:
    def __init__(self, runtime: ServiceRuntime[AwardUnitOfWork, AwardSettings]) -> None:
        self._transaction = runtime.transaction
        self._settings = runtime.settings
        self._loop = PeriodicTask("webhook-delivery", self._pass, self._settings.webhook_poll_interval_seconds)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _pass(self) -> bool:
        # A pass that sent something may have freed the next delivery of an endpoint's line
        # (a line moves one delivery per pass), one that fanned out a full batch left more:
        # go again at once.
        fanned_out, attempted = await self.run_once()
        return attempted > 0 or fanned_out >= self._settings.webhook_batch_size

    async def run_once(self) -> tuple[int, int]:
        """One pass: fan out new messages, then send the due delivery at the head of each
        endpoint's line (endpoints side by side, one request per endpoint at a time); returns
        how many messages were fanned out and how many deliveries attempted."""
        async with self._transaction() as uow:
            fanned_out = await DeliveryService(uow, self._settings).fan_out()
        async with self._transaction() as uow:
            claimed = await DeliveryService(uow, self._settings).claim_due()
        if claimed:
            async with webhook_client(self._settings) as client:
                sender = WebhookSender(client, self._settings)
                await asyncio.gather(*(self._deliver(sender, item) for item in claimed))
        return fanned_out, len(claimed)

    async def _deliver(self, sender: WebhookSender, claimed: ClaimedDelivery) -> None:
        outcome = await sender.send(claimed)
        async with self._transaction() as uow:
            await DeliveryService(uow, self._settings).record(claimed, outcome)
