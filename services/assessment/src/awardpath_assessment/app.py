"""Wiring of the assessment service, in one place: the runtime (every process) and the HTTP app."""

from fastapi import FastAPI

from awardpath_assessment.assignment import endpoints as assignment
from awardpath_assessment.calibration import endpoints as calibration
from awardpath_assessment.consumers import handlers
from awardpath_assessment.database import DeadLetter, IdempotencyKey, ProcessedEvent
from awardpath_assessment.evidence_files import endpoints as evidence_files
from awardpath_assessment.pool import endpoints as pool
from awardpath_assessment.queue import endpoints as queue
from awardpath_assessment.queue.tasks import queue_sweeper
from awardpath_assessment.reports import endpoints as reports
from awardpath_assessment.review import endpoints as review
from awardpath_assessment.settings import SERVICE, AssessmentSettings
from awardpath_assessment.turnaround import endpoints as turnaround
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.http import create_service_app
from awardpath_shared.messaging.transport import Transport
from awardpath_shared.runtime import ServiceRuntime, ServiceTables
from awardpath_shared.storage import open_storage

AssessmentRuntime = ServiceRuntime[AssessmentUnitOfWork, AssessmentSettings]


def build_runtime(settings: AssessmentSettings, transport: Transport) -> AssessmentRuntime:
    runtime = ServiceRuntime.build(
        name=SERVICE,
        settings=settings,
        database_url=settings.database_url,
        transport=transport,
        unit_of_work=AssessmentUnitOfWork,
        tables=ServiceTables(processed_events=ProcessedEvent, dead_letters=DeadLetter, idempotency_keys=IdempotencyKey),
        handlers=handlers,
        storage=open_storage(settings),
    )
    runtime.workers.append(queue_sweeper(runtime))
    return runtime


def create_app(runtime: AssessmentRuntime) -> FastAPI:
    return create_service_app(
        runtime=runtime,
        title="Awardpath assessment service",
        description="Blind review: the assessor pool, assignment, the assessor queue with "
        "leases and due times, section levels and growth feedback, and the recommendation. It never "
        "receives earner identity.",
        routers=[
            pool.router,
            assignment.router,
            turnaround.router,
            queue.router,
            evidence_files.router,
            review.router,
            calibration.router,
            reports.router,
        ],
    )
