"""The three services' apps in this process on the in-process transport, and clients for
them: the integration tier's HTTP harness (the e2e tier runs real processes instead)."""

from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from awardpath.services import SERVICES, build_apps
from awardpath_shared.auth import mint_token
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.settings import ServiceSettings


@asynccontextmanager
async def running_apps(
    database_url: str, jwt_secret: str, per_service: dict[str, dict[str, Any]] | None = None, **overrides: Any
):
    """Start every service's app (lifespan included: relays and workers run)."""
    common = {"database_url": database_url, "jwt_secret": jwt_secret, "relay_poll_interval_seconds": 0.1, **overrides}
    settings = {
        name: entry.settings().model_copy(update={**common, **(per_service or {}).get(name, {})})
        for name, entry in SERVICES.items()
    }
    apps = build_apps(InProcessTransport(RetryPolicy.of(settings["submission"])), settings)
    async with AsyncExitStack() as stack:
        for app in apps.values():
            # Generous: a loaded 2-core machine can take longer than the default 5 s to start.
            await stack.enter_async_context(LifespanManager(app, startup_timeout=60, shutdown_timeout=60))
        yield apps


class Clients:
    """Makes authenticated clients for the in-process apps and closes them all at the end."""

    def __init__(self, apps: dict[str, FastAPI], jwt_secret: str) -> None:
        self._apps = apps
        self._settings = ServiceSettings(jwt_secret=jwt_secret)
        self._opened: list[AsyncClient] = []

    def __call__(
        self, service: str, role: str | None, subject: str = "someone", token: str | None = None
    ) -> AsyncClient:
        headers = {}
        if role is not None:
            headers["Authorization"] = f"Bearer {token or mint_token(self._settings, role, subject)}"
        client = AsyncClient(transport=ASGITransport(app=self._apps[service]), base_url="http://test", headers=headers)
        self._opened.append(client)
        return client

    async def close(self) -> None:
        for client in self._opened:
            await client.aclose()


@asynccontextmanager
async def running_clients(database_url: str, jwt_secret: str, **options: Any):
    """`running_apps` (same options) and the `Clients` for them, all closed at the end."""
    async with running_apps(database_url, jwt_secret, **options) as apps:
        clients = Clients(apps, jwt_secret)
        try:
            yield clients
        finally:
            await clients.close()
