"""What every service's HTTP app shares: the app shell and the request's unit of work."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from awardpath_shared.auth import verified
from awardpath_shared.errors import Unauthenticated
from awardpath_shared.idempotent_requests import Replayed, claim_key, replayed_response
from awardpath_shared.observability import NO_FASTAPI_TELEMETRY, RequestTracing, install_observability
from awardpath_shared.openapi import with_edge_behaviour
from awardpath_shared.problems import install_problem_handlers, problem_response
from awardpath_shared.runtime import ServiceRuntime
from awardpath_shared.storage import EvidenceStorage
from awardpath_shared.unit_of_work import UnitOfWork

# Requests that only read: their unit of work takes no write lock.
READING_METHODS = frozenset({"GET", "HEAD"})


def runtime_of(request: Request) -> ServiceRuntime[Any, Any]:
    runtime: ServiceRuntime[Any, Any] = request.app.state.runtime
    return runtime


def request_settings(request: Request) -> Any:
    """The settings of the service answering (declare with the service's settings type)."""
    return runtime_of(request).settings


def request_storage(request: Request) -> EvidenceStorage:
    """Where the service's evidence files are stored."""
    return runtime_of(request).storage


async def request_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request owns the transaction: services flush, this commits once the endpoint
    returned (before the response is sent) and rolls back on any error. Declare it with
    `Depends(request_unit_of_work, scope="function")` so the commit precedes the response."""
    runtime = runtime_of(request)
    if request.method in READING_METHODS:
        async with runtime.reading() as uow:
            yield uow
        return
    async with runtime.transaction() as uow:
        await claim_key(request, runtime.idempotency_keys, uow.session, _caller(request))
        yield uow


def _caller(request: Request) -> str | None:
    """Whose idempotency keys these are: the verified caller, or None (a public call)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = verified(request, token)
    except Unauthenticated:
        return None  # the endpoint's own check answers 401 where a caller is needed
    return f"{principal.role}:{principal.subject}"


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with a 413 problem. (Starlette's own limiter
    answers in text/plain; every error here must be application/problem+json.)"""

    def __init__(self, app: ASGIApp, max_bytes: int, streamed_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed_paths = streamed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.streamed_paths):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(
                413, "payload-too-large", "Payload too large", self._detail(), scope.get("path")
            )
            await response(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised while FastAPI reads the body, which passes HTTPExceptions on
                # to the problem handlers.
                raise HTTPException(413, self._detail())
            return message

        await self.app(scope, receive_limited, send)

    def _detail(self) -> str:
        return f"request bodies are limited to {self.max_bytes} bytes"


class ServiceApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, completed once with what the edge does (FastAPI caches it)."""
        completed = self.openapi_schema is not None
        document = super().openapi()
        return document if completed else with_edge_behaviour(document)


def create_service_app(
    *,
    runtime: ServiceRuntime[Any, Any],
    title: str,
    description: str,
    routers: list[APIRouter],
    streamed_paths: tuple[str, ...] = (),
) -> FastAPI:
    """The app shell of one service; its lifespan starts and stops the runtime's relay and workers.
    Bodies are limited to `max_request_bytes` but under `streamed_paths` (path prefixes), whose
    endpoints stream a file's bytes and hold them to the file's own limits."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runtime.runs_background:
            runtime.start_background()
        try:
            yield
        finally:
            await runtime.close()

    # FastAPI's own telemetry stays off: its spans carry the query string (an earner's id in
    # `?earner_external_id=`) and it adds a span per dependency; `RequestTracing` traces requests.
    app = ServiceApp(
        title=title, description=description, version="1.0.0", lifespan=lifespan, telemetry=NO_FASTAPI_TELEMETRY
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    app.add_exception_handler(Replayed, replayed_response)
    install_observability(app, runtime.name)
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_request_bytes, streamed_paths=streamed_paths)
    # Outermost: a refused body is traced too, and every log line of the request has its ids.
    app.add_middleware(RequestTracing, service=f"awardpath-{runtime.name}")
    return app
