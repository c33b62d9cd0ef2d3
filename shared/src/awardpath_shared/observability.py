"""Health, metrics and logs every service exposes the same way."""

import logging
import sys
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy import text

from awardpath_shared.problems import problem_response


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
    app.state.metrics_registry = registry

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(service, request.method, route, str(response.status_code)).inc()
        latency.labels(service, request.method, route).observe(time.perf_counter() - started)
        return response

    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="The process can serve: its database answers",
        response_model=None,
        responses={503: {"description": "The database does not answer."}},
    )
    async def ready(request: Request) -> Response | dict[str, str]:
        try:
            async with request.app.state.runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # readiness reports, never raises
            return problem_response(503, "not-ready", "Not ready", f"database: {error!r}")
        return {"status": "ok"}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
