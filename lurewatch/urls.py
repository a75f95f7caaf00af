"""URL safety: what a crawler or the image proxy may fetch.

Sources may not point at an address that is not globally reachable (private, loopback,
link-local, shared address space, cloud metadata, reserved...) unless they are marked
``local_test``; whoever connects uses the very addresses checked here
(:func:`public_addresses`), so a name cannot answer a public address to the check and a
private one to the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from lurewatch.config import ConfigError

# IANA's well-known NAT64 prefix: the last 32 bits are the IPv4 address reached.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# NAT64's local-use prefix (RFC 8215) is not globally reachable; Python lists it as
# private only from 3.12.4 on, so it is named here for 3.11.
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# Deprecated IPv4-compatible addresses (::a.b.c.d).
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class UnsafeURLError(ConfigError):
    """A URL that must not be fetched (an address that is not globally reachable)."""


def check_fetchable(url: str, *, allow_local: bool) -> None:
    """Refuse ``file:`` and anything that resolves to an address that is not public
    (:func:`is_public`), unless the source is explicitly a local test source."""
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


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a globally reachable unicast address, by ``ipaddress``'s
    ``is_global`` (IANA's special-purpose registries). An IPv6 address that carries an
    IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64) is only as public as the
    IPv4 address it delivers to: ``2002:7f00:1::`` is loopback however global 2002::/16
    is."""
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    if ip in NAT64_LOCAL_USE:
        return False
    carried = ip.ipv4_mapped or ip.sixtofour
    if carried is None and (ip in NAT64_WELL_KNOWN or ip in IPV4_COMPATIBLE):
        carried = ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return carried is None or is_public(carried)


def refuse_non_public(address: str, host: str) -> None:
    """Raise :class:`UnsafeURLError` if ``address`` (what ``host`` resolved to) is not a
    public address (:func:`is_public`)."""
    ip = ipaddress.ip_address(address)
    if not is_public(ip):
        raise UnsafeURLError(f"{host} resolves to {ip}, a non-public address; "
                             "mark the source local_test: true if it is a test site")
