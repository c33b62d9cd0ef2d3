"""What every service's HTTP app shares: the app shell, the request-scoped transaction."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_shared.observability import install_observability
from awardpath_shared.problems import install_problem_handlers
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

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        max_body_size=runtime.settings.max_request_bytes,
    )
    app.state.runtime = runtime
    app.state.token_verifier = runtime.token_verifier
    install_problem_handlers(app)
    install_observability(app, runtime.name)
    for router in routers:
        app.include_router(router)
    return app
