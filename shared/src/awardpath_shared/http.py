"""What every service's HTTP app shares: the app shell, the request-scoped transaction."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from awardpath_shared.observability import install_observability
from awardpath_shared.problems import install_problem_handlers, problem_response
from awardpath_shared.runtime import ServiceRuntime


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: services flush, this commits once the endpoint
    returned (before the response is sent) and rolls back on any error."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.sessions() as session:
        async with session.begin():
            yield session
        if session.info.get("outbox_pending"):
            runtime.relay.wake()


# scope="function": the commit happens before the response is sent, never after.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]


class BodySizeLimit:
    """Refuse request bodies over the configured size with 413 before reading them all."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised inside body parsing, where FastAPI lets HTTPExceptions through.
                raise HTTPException(413, f"request bodies are limited to {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413, "payload-too-large", "Payload too large",
            f"request bodies are limited to {self.max_bytes} bytes",
        )
        await response(scope, receive, send)


def create_service_app(
    *,
    runtime: ServiceRuntime,
    title: str,
    description: str,
    routers: list,
    start_relay: bool = True,
) -> FastAPI:
    """The app shell of one service; its lifespan starts and stops the runtime's relay."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if start_relay:
            runtime.start_relay()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    install_observability(app, runtime.name)
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_request_bytes)
    return app
