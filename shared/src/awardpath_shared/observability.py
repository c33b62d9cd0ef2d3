"""Health, metrics, traces and logs every service exposes the same way (the log format and
its context fields: `logs`; the trace's path through the services: `tracing`)."""

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from awardpath_shared.metrics import ServicesSeries
from awardpath_shared.problems import problem_response
from awardpath_shared.readiness import SchemaCheck
from awardpath_shared.tracing import served, serving

logger = logging.getLogger(__name__)

STORAGE_UNREACHABLE = "evidence file storage unreachable"

# FastAPI's own OpenTelemetry, off: it would record paths and query strings (earner ids) and a
# span per dependency; `tracing` makes the spans Awardpath wants.
NO_FASTAPI_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}

# A scrape waits this long at most for each part of the backlog.
BACKLOG_READ_SECONDS = 5.0


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


class AnsweredStatus:
    """`send`, noting the status the app answers: 500 until it answers (an unhandled error
    passes through the middlewares before the server error handler answers it)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)


def route_of(scope: Scope) -> str | None:
    """The template of the route that answered (`/v1/submissions/{submission_id}`), never the
    path; None when no route matched."""
    return getattr(scope.get("route"), "path", None)


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
        answered = AnsweredStatus(send)
        try:
            await self.app(scope, receive, answered)
        finally:
            route = route_of(scope) or "unmatched"
            self.requests.labels(self.service, scope["method"], route, str(answered.status)).inc()
            self.latency.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)


class RequestTracing:
    """A span per request (kind server) continuing the caller's `traceparent` if it sent one,
    named by method and route template: never the path or the query (ids, an earner's id in
    a query string). Log lines meanwhile carry its ids and the service. Pure ASGI, and cheap
    when nothing is exported: no attribute is set on a span that records nothing."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = AnsweredStatus(send)
        with serving(scope["method"], scope["headers"], self.service) as span:
            try:
                await self.app(scope, receive, answered)
            finally:
                served(span, scope["method"], route_of(scope), answered.status)


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
        self.dead = Gauge(
            "awardpath_outbox_dead_rows",
            "Outbox rows the relay gave up publishing (see `awardpath dead-letters`)",
            ["service"],
            registry=registry,
        )
        self.pending = Gauge(
            "awardpath_pending_work",
            "Work of the service waiting to be done, by kind (the award service's webhook deliveries)",
            ["service", "kind"],
            registry=registry,
        )
        self.lag = Gauge(
            "awardpath_consumer_lag_messages",
            "Messages the service's consumer group has yet to handle (Kafka)",
            ["service", "topic", "partition"],
            registry=registry,
        )

    async def read(self, runtimes: dict[str, Any]) -> None:
        """The backlog of each service (one scrape): what cannot be read now is left out."""
        for gauge in (self.unsent, self.oldest, self.dead, self.pending, self.lag):
            gauge.clear()
        for service, runtime in runtimes.items():
            await self._read(service, runtime)

    async def _read(self, service: str, runtime: Any) -> None:
        try:
            async with asyncio.timeout(BACKLOG_READ_SECONDS), runtime.reading() as uow:
                backlog = await runtime.relay.backlog(uow.session)
                pending = [await read(uow.session) for read in runtime.pending_work]
            self.unsent.labels(service).set(backlog.unsent)
            self.oldest.labels(service).set(backlog.oldest_unsent_age_seconds)
            self.dead.labels(service).set(backlog.dead)
            for kind, count in (item for counts in pending for item in counts.items()):
                self.pending.labels(service, kind).set(count)
        except Exception as error:  # a scrape reports what it can, nothing stale
            logger.warning("reading the outbox backlog of %s failed: %r", service, error)
        try:
            async with asyncio.timeout(BACKLOG_READ_SECONDS):
                lag = await runtime.transport.consumer_lag(runtime.consumer.group, runtime.consumer.topics)
        except Exception as error:
            logger.warning("reading the consumer lag of %s failed: %r", service, error)
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
    registry.register(ServicesSeries({service}))
    app.state.metrics_registry = registry

    app.add_middleware(RequestMetrics, service=service, requests=requests, latency=latency)

    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    schema = SchemaCheck(service)

    @router.get(
        "/health/ready",
        summary="The process can serve: its database answers at the schema revision this code expects, "
        "and its evidence file storage answers",
        response_model=None,
        responses={
            503: {
                "description": "The database does not answer, or its schema is not migrated to this code's head; "
                "or the evidence file storage does not answer."
            }
        },
    )
    async def ready(request: Request) -> Response | dict[str, str]:
        runtime = request.app.state.runtime
        problem = await schema.problem(runtime.engine)
        if problem is None and not await runtime.storage.reachable():
            problem = STORAGE_UNREACHABLE
        if problem is not None:
            return problem_response(503, "not-ready", "Not ready", problem)
        return {"status": "ok"}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        await backlog.read({service: request.app.state.runtime})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)


def create_worker_app(runtimes: dict[str, Any]) -> FastAPI:
    """A worker's operations endpoints (no API): live (its event loop answers), ready (its
    databases answer at the expected schema revision, its brokers and storage answer), and the Prometheus
    metrics of its services: the backlog as on the APIs, its handlers' durations, dead letters
    and relay passes."""
    app = FastAPI(
        title="Awardpath worker", openapi_url=None, docs_url=None, redoc_url=None, telemetry=NO_FASTAPI_TELEMETRY
    )
    registry = CollectorRegistry()
    backlog = BacklogGauges(registry)
    registry.register(ServicesSeries(set(runtimes)))

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    schemas = {name: SchemaCheck(name) for name in runtimes}

    @app.get("/health/ready", response_model=None)
    async def ready() -> Response | dict[str, str]:
        for name, runtime in runtimes.items():
            if (problem := await schemas[name].problem(runtime.engine)) is not None:
                return problem_response(503, "not-ready", "Not ready", f"{name}: {problem}")
            if not await runtime.transport.reachable():
                return problem_response(503, "not-ready", "Not ready", f"{name}: the brokers do not answer")
            if not await runtime.storage.reachable():
                return problem_response(503, "not-ready", "Not ready", f"{name}: {STORAGE_UNREACHABLE}")
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics() -> Response:
        await backlog.read(runtimes)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
