"""Wiring of the submission service, in one place: the runtime (every process) and the HTTP app."""

from fastapi import FastAPI

from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime, ServiceTables
from awardpath_shared.storage import open_storage
from awardpath_submission.consumers import handlers
from awardpath_submission.database import DeadLetter, IdempotencyKey, ProcessedEvent
from awardpath_submission.files import endpoints as files
from awardpath_submission.files.tasks import file_sweeper
from awardpath_submission.intake import endpoints as intake
from awardpath_submission.progress import endpoints as progress
from awardpath_submission.settings import SERVICE, SubmissionSettings
from awardpath_submission.uow import SubmissionUnitOfWork

SubmissionRuntime = ServiceRuntime[SubmissionUnitOfWork, SubmissionSettings]


def build_runtime(settings: SubmissionSettings, transport: Transport) -> SubmissionRuntime:
    runtime = ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        unit_of_work=SubmissionUnitOfWork,
        tables=ServiceTables(processed_events=ProcessedEvent, dead_letters=DeadLetter, idempotency_keys=IdempotencyKey),
        handlers=handlers,
        storage=open_storage(settings),
    )
    runtime.workers.append(file_sweeper(runtime))
    return runtime


def create_app(runtime: SubmissionRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath submission service",
        description="Intake: platforms submit and resubmit evidence and follow status, "
        "timeline and feedback. The only service that holds earner identity.",
        routers=[intake.router, files.router, progress.router],
        # Files stream in (parts, small files in one request) and are held to their own limits.
        streamed_paths=("/v1/uploads/", "/v1/files"),
    )
