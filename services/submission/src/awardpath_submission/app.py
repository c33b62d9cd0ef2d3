"""Wiring of the submission service: the runtime and the HTTP app, in one place."""

from fastapi import FastAPI

from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime
from awardpath_submission.api import router
from awardpath_submission.consumers import handlers
from awardpath_submission.models import OutboxMessage, ProcessedEvent
from awardpath_submission.settings import SERVICE, SubmissionSettings


def build_runtime(settings: SubmissionSettings, transport: Transport) -> ServiceRuntime:
    return ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        outbox_model=OutboxMessage,
        processed_model=ProcessedEvent,
        handlers=handlers,
    )


def create_app(runtime: ServiceRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath submission service",
        description="Intake: platforms submit and resubmit evidence and follow status, "
        "timeline and feedback. The only service that holds earner identity.",
        routers=[router],
    )
