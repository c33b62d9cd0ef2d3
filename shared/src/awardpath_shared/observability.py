"""Health, metrics and logs every service exposes the same way."""

import asyncio
import logging
import sys
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from awardpath_shared.problems import problem_response
from awardpath_shared.readiness import SchemaCheck

logger = logging.getLogger(__name__)

# A scrape waits this long at most for each part of the backlog.
BACKLOG_READ_SECONDS = 5.0


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # One line per outgoing request is noise at INFO (the demo seeding, later webhooks).
    logging.getLogger("httpx").setLevel(logging.WARNING)


class AccessLogWithoutQuery(logging.Filter):
    """uvicorn logs each request with args (client, method, path?query, http version, status);
    a query string carries identifiers (`?earner_external_id=`), so the line keeps the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(target := args[2], str):
            record.args = (*args[:2], target.split("?", 1)[0], *args[3:])
        return True


_ACCESS_LOG_FILTER = AccessLogWithoutQuery()


def access_log_filter() -> logging.Filter:
    """The one instance (a logging config factory): configuring logging again, as each uvicorn
    server does, then finds it already on the logger instead of stacking copies."""
    return _ACCESS_LOG_FILTER


class RequestMetrics:
    """Counts and times every request by route and status, a 500 included (an unhandled error
    passes through here before the server error handler answers). Pure ASGI: a request body
    streams through untouched, and errors raised while reading it keep their type."""

    def __init__(self, app: ASGIApp, service: str, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.service = service
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_measured)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(self.service, scope["method"], route, str(status)).inc()
            self.latency.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)


class BacklogGauges:
    """The path's backlog, read when Prometheus scrapes: the service's outbox (rows not yet
    published, the age of the oldest) and, on Kafka, its consumer group's lag per partition.
    A part that cannot be read is left out of that scrape (and logged), never a failed scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.unsent = Gauge(
            "awardpath_outbox_unsent_rows", "Outbox rows not yet published", ["service"], registry=registry
        )
        self.oldest = Gauge(
            "awardpath_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox row not yet published (0: none)",
            ["service"],
            registry=registry,
        )
        self.lag = Gauge(
            "awardpath_consumer_lag_messages",
            "Messages the service's consumer group has yet to handle (Kafka)",
            ["service", "topic", "partition"],
            registry=registry,
        )

    async def read(self, service: str, runtime: Any) -> None:
        try:
            async with asyncio.timeout(BACKLOG_READ_SECONDS), runtime.reading() as uow:
                unsent, oldest = await runtime.relay.backlog(uow.session)
            self.unsent.labels(service).set(unsent)
            self.oldest.labels(service).set(oldest)
        except Exception as error:  # a scrape reports what it can, nothing stale
            logger.warning("reading the outbox backlog failed: %r", error)
            self.unsent.clear()
            self.oldest.clear()
        self.lag.clear()
        try:
            async with asyncio.timeout(BACKLOG_READ_SECONDS):
                lag = await runtime.transport.consumer_lag(runtime.consumer.group, runtime.consumer.topics)
        except Exception as error:
            logger.warning("reading the consumer lag failed: %r", error)
            return
        for (topic, partition), messages in lag.items():
            self.lag.labels(service, topic, str(partition)).set(messages)


def install_observability(app: FastAPI, service: str) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "http_requests_total", "HTTP requests", ["service", "method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "HTTP request latency",
        ["service", "method", "route"],
        registry=registry,
    )
    backlog = BacklogGauges(registry)
    app.state.metrics_registry = registry

    app.add_middleware(RequestMetrics, service=service, requests=requests, latency=latency)

    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    schema = SchemaCheck(service)

    @router.get(
        "/health/ready",
        summary="The process can serve: its database answers at the schema revision this code expects",
        response_model=None,
        responses={
            503: {"description": "The database does not answer, or its schema is not migrated to this code's head."}
        },
    )
    async def ready(request: Request) -> Response | dict[str, str]:
        problem = await schema.problem(request.app.state.runtime.engine)
        if problem is not None:
            return problem_response(503, "not-ready", "Not ready", problem)
        return {"status": "ok"}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        await backlog.read(service, request.app.state.runtime)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
