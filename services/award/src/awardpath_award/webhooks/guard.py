"""The address guard: which webhook URLs this service calls. https only (http when allowed
for local development), and every address the host resolves to must be public, unless it is
in the allow-list or the guard is switched off. Checked on registration and again before
every delivery, where the checked addresses are the ones connected to (`webhooks.pinning`):
resolving again would let DNS rebinding swap in a private address between check and connect.

An IPv4 address embedded in an IPv6 one (IPv4-mapped, NAT64, 6to4, IPv4-compatible) is
judged as that IPv4 address: `64:ff9b::7f00:1` reaches 127.0.0.1 through a translator.
"""

import asyncio
import ipaddress
import socket
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import SplitResult, urlsplit

from awardpath_award.settings import AwardSettings

IPAddress = IPv4Address | IPv6Address

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local translators, never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


class TargetRefused(ValueError):
    """A webhook URL this service will not call; the message says why."""


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the forms that reach it."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally reachable unicast, judging an embedded IPv4 address by itself."""
    if address in NAT64_LOCAL:
        return False
    judged = embedded_ipv4(address) or address
    return judged.is_global and not judged.is_multicast


def is_allowed(address: IPAddress, settings: AwardSettings) -> bool:
    """Public, or in the allow-list (itself or the IPv4 address it embeds)."""
    candidates = [address, *filter(None, [embedded_ipv4(address)])]
    allowed = any(candidate in network for candidate in candidates for network in settings.webhook_allowed_targets)
    return allowed or is_public(address)


def check_url(url: str, settings: AwardSettings) -> SplitResult:
    """Raise TargetRefused unless `url` has an allowed scheme, a host and no user information."""
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise TargetRefused(f"the URL must use {' or '.join(allowed_schemes)}")
    if not parts.hostname or parts.username or parts.password:
        raise TargetRefused("the URL needs a host and no user information")
    try:
        _ = parts.port  # raises on a port out of range
    except ValueError as error:
        raise TargetRefused(f"the URL has an invalid port: {error}") from error
    return parts


async def resolve_checked(host: str, port: int, settings: AwardSettings) -> list[str]:
    """Resolve `host` once and return its addresses, in the resolver's order, to connect to
    as they are (never by name again); TargetRefused unless every one is allowed."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise TargetRefused(f"the host {host!r} does not resolve: {error}") from error
    addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])  # judged without an IPv6 zone
        if not is_allowed(address, settings):
            shown = embedded_ipv4(address) or address
            raise TargetRefused(f"{host!r} resolves to {shown}, a private, loopback or link-local address")
    if not addresses:
        raise TargetRefused(f"the host {host!r} does not resolve")
    return addresses


async def check_target(url: str, settings: AwardSettings) -> None:
    """Raise TargetRefused unless `url` is one this service may call (on registration; a
    delivery checks the addresses it connects to, `webhooks.pinning`)."""
    parts = check_url(url, settings)
    if settings.webhook_allow_private_targets:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    await resolve_checked(str(parts.hostname), port, settings)
