"""Wiring of the award service: the runtime and the HTTP app, in one place."""

from fastapi import FastAPI

from awardpath_award import credentials_api, webhooks_api
from awardpath_award.api import router
from awardpath_award.consumers import handlers
from awardpath_award.models import OutboxMessage, ProcessedEvent
from awardpath_award.settings import SERVICE, AwardSettings
from awardpath_award.webhook_delivery import WebhookDeliveryWorker
from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime


def build_runtime(settings: AwardSettings, transport: Transport) -> ServiceRuntime:
    runtime = ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        outbox_model=OutboxMessage,
        processed_model=ProcessedEvent,
        handlers=handlers,
    )
    runtime.workers.append(WebhookDeliveryWorker(runtime.sessions, settings))
    return runtime


def create_app(runtime: ServiceRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath award service",
        description="The issuer of record: issuers, the micro-credential catalog (every version "
        "kept), the issuer's decision queue and its auto policy, awards, their signed Open Badges "
        "3.0 credentials (verification, revocation, did:web keys, Open Badges 2.0 hosted "
        "assertions) and webhooks to platforms.",
        routers=[router, credentials_api.router, webhooks_api.router],
    )
