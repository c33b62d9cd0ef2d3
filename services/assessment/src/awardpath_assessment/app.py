"""Wiring of the assessment service: the runtime and the HTTP app, in one place."""

from fastapi import FastAPI

from awardpath_assessment.api import router
from awardpath_assessment.consumers import handlers
from awardpath_assessment.models import OutboxMessage, ProcessedEvent
from awardpath_assessment.settings import SERVICE, AssessmentSettings
from awardpath_assessment.sweeper import lease_sweeper
from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime


def build_runtime(settings: AssessmentSettings, transport: Transport) -> ServiceRuntime:
    runtime = ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        outbox_model=OutboxMessage,
        processed_model=ProcessedEvent,
        handlers=handlers,
    )
    runtime.workers.append(lease_sweeper(runtime))
    return runtime


def create_app(runtime: ServiceRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath assessment service",
        description="Blind review: the assessor pool, assignment, the assessor queue with "
        "leases, section levels and growth feedback, and the recommendation. It never "
        "receives earner identity.",
        routers=[router],
    )
