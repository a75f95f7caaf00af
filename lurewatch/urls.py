"""URL safety: what a crawler or the image proxy may fetch.

Sources may not point at private, loopback, link-local or otherwise non-public
addresses unless they are marked ``local_test``; whoever connects uses the very
addresses checked here (:func:`public_addresses`), so a name cannot answer a public
address to the check and a private one to the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from lurewatch.config import ConfigError


class UnsafeURLError(ConfigError):
    """A URL that must not be fetched (private, loopback or link-local address)."""


def check_fetchable(url: str, *, allow_local: bool) -> None:
    """Refuse ``file:`` and anything that resolves to a private, loopback, link-local or
    reserved address, unless the source is explicitly a local test source."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"{url!r}: only http and https URLs can be fetched")
    if allow_local:
        return
    try:
        public_addresses(parts.hostname or "", parts.port or 443)
    except UnsafeURLError as exc:
        raise UnsafeURLError(f"{url!r}: {exc}") from None


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, refused unless every one is public.

    Whoever connects should connect to one of these, not resolve ``host`` again: a name
    can answer a public address to the check and a private one to the connection."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeURLError(f"cannot resolve {host!r} ({exc})") from exc
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        refuse_non_public(address, host)
    return addresses


def refuse_non_public(address: str, host: str) -> None:
    """Raise :class:`UnsafeURLError` if ``address`` (what ``host`` resolved to) is not a
    public address."""
    ip = ipaddress.ip_address(address)
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified):
        raise UnsafeURLError(f"{host} resolves to {ip}, a non-public address; "
                             "mark the source local_test: true if it is a test site")
