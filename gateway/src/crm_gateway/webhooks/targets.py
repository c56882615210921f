"""Where deliveries may go: never to loopback, private, link-local (cloud metadata),
multicast or reserved addresses, unless the operator allows it for the tenant.

The check runs when a subscription is saved and again at every connection, inside the
resolver the delivery client connects through: the addresses checked are the addresses
connected to, so a name that resolves to a public address when saved and to 127.0.0.1
later (DNS rebinding) is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# Cloud metadata services that are not link-local (AWS's IPv6 one).
_METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254")})


class RefusedTarget(ValueError):
    """The target is not an address deliveries may go to."""


def allowed_address(address: str) -> bool:
    """Whether deliveries may connect to ``address`` (an IP) without the operator's leave."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _METADATA
        or not ip.is_global  # shared (CGNAT), documentation and other special ranges
    )


def check_url(url: str) -> tuple[str, int]:
    """The host and port of an acceptable ``http(s)`` URL; RefusedTarget otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("the URL must be http or https with a host")
    if parts.username or parts.password:
        raise RefusedTarget("the URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedTarget("the URL's port is invalid") from exc
    return parts.hostname, port


def refuse_literal(host: str) -> None:
    """RefusedTarget if ``host`` is an IP address deliveries may not connect to."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    if not allowed_address(host.strip("[]")):
        raise RefusedTarget(f"{host} is a private or reserved address")


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse ``url`` if it cannot be resolved or resolves to a refused address."""
    host, port = check_url(url)
    if allow_private:
        return
    await GuardedResolver(allow_private=False).resolve(host, port)


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's default, then refuses if any address is not allowed."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            results = await self._inner.resolve(host, port, family=socket.AF_UNSPEC)
        except OSError as exc:
            raise RefusedTarget(f"{host} does not resolve") from exc
        if not self.allow_private:
            for result in results:
                if not allowed_address(result["host"]):
                    raise RefusedTarget(
                        f"{host} resolves to {result['host']}, a private or reserved address"
                    )
        return results

    async def close(self) -> None:
        await self._inner.close()
