"""How every Kafka client of a process (producer, group loops, lag probe, topic admin, dead
letter reader) reaches the brokers: the bootstrap servers and the security settings (TLS,
SASL PLAIN / SCRAM / OAUTHBEARER), in one place."""

import asyncio
import time
from typing import Any

import httpx
from aiokafka.abc import AbstractTokenProvider
from aiokafka.helpers import create_ssl_context

from awardpath_shared.settings import ServiceSettings

# A token is fetched again this long before it expires.
TOKEN_REFRESH_MARGIN_SECONDS = 60.0
TOKEN_REQUEST_TIMEOUT_SECONDS = 10.0
_TOKEN_PROVIDERS: dict[tuple[str | None, str | None, str | None], "ClientCredentialsTokens"] = {}


def connection_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers, "security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
            password=settings.kafka_ssl_key_password,
        )
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        if settings.kafka_sasl_mechanism == "OAUTHBEARER":
            options["sasl_oauth_token_provider"] = _tokens_for(settings)
        else:
            options["sasl_plain_username"] = settings.kafka_sasl_username
            options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def _tokens_for(settings: ServiceSettings) -> "ClientCredentialsTokens":
    """One token provider per OAuth client in a process: every Kafka client (a lag probe per
    scrape among them) shares its token instead of asking the identity provider again."""
    client = (settings.kafka_sasl_oauth_token_url, settings.kafka_sasl_oauth_client_id, settings.kafka_sasl_oauth_scope)
    if client not in _TOKEN_PROVIDERS:
        _TOKEN_PROVIDERS[client] = ClientCredentialsTokens(settings)
    return _TOKEN_PROVIDERS[client]


class ClientCredentialsTokens(AbstractTokenProvider):
    """OAUTHBEARER tokens from an OAuth 2.0 token endpoint (client-credentials grant, RFC
    6749 4.4), reused until shortly before they expire; one request at a time."""

    def __init__(self, settings: ServiceSettings) -> None:
        assert settings.kafka_sasl_oauth_token_url is not None  # the settings check it
        self._url = settings.kafka_sasl_oauth_token_url
        self._client = (settings.kafka_sasl_oauth_client_id or "", settings.kafka_sasl_oauth_client_secret or "")
        self._scope = settings.kafka_sasl_oauth_scope
        self._token: str | None = None
        self._renew_at = 0.0
        self._fetching = asyncio.Lock()

    async def token(self) -> str:
        async with self._fetching:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime = await self._fetch()
                self._renew_at = time.monotonic() + max(0.0, lifetime - TOKEN_REFRESH_MARGIN_SECONDS)
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials", **({"scope": self._scope} if self._scope else {})}
        async with httpx.AsyncClient(timeout=TOKEN_REQUEST_TIMEOUT_SECONDS) as client:
            response = await client.post(self._url, data=form, auth=self._client)
        response.raise_for_status()
        body = response.json()
        return body["access_token"], float(body.get("expires_in", 300))
