import ipaddress
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import IPvAnyNetwork, field_validator
from pydantic_settings import NoDecode

from awardpath_shared.settings import per_service, secret_problems
from awardpath_shared.storage import EvidenceStorageSettings

SERVICE = "award"
DEV_MASTER_KEY = "awardpath-local-master-key-change-me"


class AwardSettings(EvidenceStorageSettings):
    database_url: str = per_service(SERVICE, "database_url", "sqlite+aiosqlite:///./var/awardpath.db")
    port: int = per_service(SERVICE, "port", 8003)
    # A worker's (`awardpath worker award`) health and metrics endpoints.
    worker_port: int = per_service(SERVICE, "worker_port", 9103)
    # Base of credential ids, did:web identifiers and public pages.
    public_url: str = per_service(SERVICE, "public_url", "http://127.0.0.1:8003")
    # Seals issuer signing keys and webhook secrets at rest. Set a long random value in production.
    master_key: str = per_service(SERVICE, "master_key", DEV_MASTER_KEY)
    # Earlier master keys, comma-separated: values sealed under them still open until
    # `awardpath reseal` has sealed everything under `master_key` (README, Operating).
    previous_master_keys: Annotated[tuple[str, ...], NoDecode] = per_service(SERVICE, "previous_master_keys", ())
    # Bits per status list: 131,072 (16 KiB) is the Bitstring Status List minimum for privacy.
    status_list_size: int = per_service(SERVICE, "status_list_size", 131_072)
    # Webhook targets: https and public addresses only, unless allowed (local development, tests).
    webhook_allow_http: bool = per_service(SERVICE, "webhook_allow_http", False)
    # Switches the address guard off: any address, private ones included.
    webhook_allow_private_targets: bool = per_service(SERVICE, "webhook_allow_private_targets", False)
    # With the guard on, private networks allowed all the same: comma-separated, `127.0.0.1/32,::1/128`.
    webhook_allowed_targets: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = per_service(
        SERVICE, "webhook_allowed_targets", ()
    )
    webhook_timeout_seconds: float = per_service(SERVICE, "webhook_timeout_seconds", 10.0)
    # Retries: exponential backoff with jitter from the base up to the cap, for the window (3 days).
    webhook_retry_base_seconds: float = per_service(SERVICE, "webhook_retry_base_seconds", 10.0)
    webhook_retry_max_delay_seconds: float = per_service(SERVICE, "webhook_retry_max_delay_seconds", 6 * 3600.0)
    webhook_retry_window_seconds: float = per_service(SERVICE, "webhook_retry_window_seconds", 3 * 86400.0)
    webhook_poll_interval_seconds: float = per_service(SERVICE, "webhook_poll_interval_seconds", 1.0)
    webhook_batch_size: int = per_service(SERVICE, "webhook_batch_size", 50)
    # How long the previous secret keeps signing after a rotation.
    webhook_secret_overlap_seconds: float = per_service(SERVICE, "webhook_secret_overlap_seconds", 86400.0)

    @property
    def master_keys(self) -> tuple[str, ...]:
        """Every key a sealed value may be under, the current one first."""
        return (self.master_key, *self.previous_master_keys)

    def unsafe_settings(self) -> list[str]:
        return [
            *super().unsafe_settings(),
            *secret_problems("AWARDPATH_AWARD_MASTER_KEY", self.master_key, DEV_MASTER_KEY),
            *public_url_problems(self.public_url),
        ]

    @field_validator("webhook_allowed_targets", "previous_master_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value


def public_url_problems(public_url: str) -> list[str]:
    """Every credential issued names this URL (its id, the issuer's did:web): verifiers must
    reach it, over https (did:web requires it)."""
    how = "set AWARDPATH_AWARD_PUBLIC_URL to the https URL where verifiers reach the award service"
    host = (urlsplit(public_url).hostname or "").rstrip(".")
    if _local(host):
        return [f"AWARDPATH_AWARD_PUBLIC_URL is {public_url!r}, a loopback address: {how}"]
    if urlsplit(public_url).scheme != "https":
        return [f"AWARDPATH_AWARD_PUBLIC_URL is {public_url!r}, not https: {how}"]
    return []


def _local(host: str) -> bool:
    """No host, localhost, or an address only this machine reaches (127/8, ::1, 0.0.0.0, ...)."""
    if host == "" or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: resolved by verifiers, not here
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified
