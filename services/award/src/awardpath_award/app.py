"""Wiring of the award service, in one place: the runtime (every process) and the HTTP app."""

from fastapi import FastAPI

from awardpath_award.catalog import endpoints as catalog
from awardpath_award.consumers import handlers
from awardpath_award.credentials import endpoints as credentials
from awardpath_award.database import DeadLetter, IdempotencyKey, ProcessedEvent
from awardpath_award.decisions import endpoints as decisions
from awardpath_award.issuers import endpoints as issuers
from awardpath_award.keys import endpoints as keys
from awardpath_award.settings import SERVICE, AwardSettings
from awardpath_award.uow import AwardUnitOfWork
from awardpath_award.verification import endpoints as verification
from awardpath_award.webhooks import endpoints as webhooks
from awardpath_award.webhooks.repository import WebhookRepository
from awardpath_award.webhooks.worker import WebhookDeliveryWorker
from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime, ServiceTables
from awardpath_shared.storage import open_storage

AwardRuntime = ServiceRuntime[AwardUnitOfWork, AwardSettings]


def build_runtime(settings: AwardSettings, transport: Transport) -> AwardRuntime:
    runtime = ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        unit_of_work=AwardUnitOfWork,
        tables=ServiceTables(processed_events=ProcessedEvent, dead_letters=DeadLetter, idempotency_keys=IdempotencyKey),
        handlers=handlers,
        storage=open_storage(settings),
    )
    runtime.workers.append(WebhookDeliveryWorker(runtime))
    runtime.pending_work.append(lambda session: WebhookRepository(session).delivery_backlog())
    return runtime


def create_app(runtime: AwardRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath award service",
        description="The issuer of record: issuers, the micro-credential catalog (every version "
        "kept), the issuer's decision queue and its auto policy, awards, their signed Open Badges "
        "3.0 credentials (verification, revocation, did:web keys, Open Badges 2.0 hosted "
        "assertions) and webhooks to platforms.",
        routers=[
            issuers.router,
            catalog.router,
            decisions.router,
            keys.router,
            credentials.router,
            verification.router,
            credentials.ob2_router,
            webhooks.router,
        ],
    )
