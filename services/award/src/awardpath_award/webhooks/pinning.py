"""The HTTP client webhooks are delivered with, its connections pinned to checked addresses.

With the address guard on, the network backend under the client resolves the host once per
connection, checks every address (`guard.resolve_checked`) and connects to a checked address
itself: httpx never resolves the name, so DNS rebinding cannot swap in a private address
between the check and the connect. TLS (SNI, certificate) and the Host header still use the
name: httpcore starts TLS on the connected stream with the URL's host.
"""

from collections.abc import Iterable

import httpcore
import httpx

from awardpath_award.settings import AwardSettings
from awardpath_award.webhooks.guard import TargetRefused, resolve_checked

# httpx's own defaults (`httpx.Limits()`), kept for the pool built here.
MAX_CONNECTIONS, MAX_KEEPALIVE_CONNECTIONS, KEEPALIVE_EXPIRY = 100, 20, 5.0


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the guard allowed, never by name."""

    def __init__(self, settings: AwardSettings, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._settings = settings
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(host, port, self._settings)
        failure: Exception | None = None
        # Every address was checked: try them in the resolver's order, as a resolving connect would.
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # resolve_checked returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("a unix socket is not a webhook target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool on the guarded backend."""

    def __init__(self, settings: AwardSettings) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context)
        # httpx (0.28) takes no network backend; its pool is where httpcore takes one, publicly.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_EXPIRY,
            network_backend=GuardedNetworkBackend(settings),
        )


def webhook_client(settings: AwardSettings) -> httpx.AsyncClient:
    """The client deliveries go out on: redirects are the receiver's answer, never followed;
    connections pinned to checked addresses unless the guard is switched off. A transport of
    its own also keeps proxies from the environment out (a proxy would resolve the name)."""
    transport = None if settings.webhook_allow_private_targets else PinnedTransport(settings)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, timeout=settings.webhook_timeout_seconds)
