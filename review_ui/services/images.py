"""A record's images, fetched by the server for a reviewer who asked to see one.

The reviewer's browser never contacts the poster's server (which would tell a trafficker
who looks, and from where): the application fetches the image itself, with the crawlers'
safety rule (no private, loopback or link-local address unless the record's source is a
``local_test`` source), a size cap, and only raster image types, and hands it back with
``Cache-Control: no-store``. Redirects are followed by hand so every hop is checked, and
the connection goes to the very address that was checked (httpcore's network backend is
where the name is resolved), so a name that answers a public address to the check and a
private one to the connection (DNS rebinding) reaches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore

from lurewatch.config import ConfigError, Settings, load_sources
from lurewatch.urls import UnsafeURLError, check_fetchable, public_addresses

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10.0
# Raster types only: an SVG is a document that can carry script.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
# load_sources needs some base for the sample sites' "{base_url}" start URLs; only the
# sources' names and local_test flags are read here.
PLACEHOLDER_BASE_URL = "http://127.0.0.1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# httpcore's errors share no base class; these are the ones a remote server can cause.
FETCH_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol)


class ImageRefused(Exception):
    """An image that is not handed out; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FetchedImage:
    content: bytes
    media_type: str


def is_local_test_source(settings: Settings, source: str) -> bool:
    """Whether ``source`` is a ``local_test`` source of the sources list, as the crawlers
    decide whether a URL may point at loopback. An unreadable list allows nothing local."""
    try:
        sources = load_sources(settings.sources_file, base_url=PLACEHOLDER_BASE_URL)
    except ConfigError:
        return False
    return any(s.name == source and s.local_test for s in sources)


class PublicAddressBackend(httpcore.SyncBackend):
    """Connects only to a public address of the host, the one it checked."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                    ) -> httpcore.NetworkStream:
        address = public_addresses(host, port)[0]
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def fetch_image(url: str, *, allow_local: bool, user_agent: str) -> FetchedImage:
    """The image at ``url``, or :class:`ImageRefused` saying why not."""
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), TIMEOUT_SECONDS)
    backend = None if allow_local else PublicAddressBackend()
    try:
        with httpcore.ConnectionPool(network_backend=backend) as pool:
            for _ in range(MAX_REDIRECTS + 1):
                check_fetchable(url, allow_local=allow_local)
                with pool.stream("GET", url, headers={"User-Agent": user_agent},
                                 extensions={"timeout": timeouts}) as response:
                    location = _header(response, "location")
                    if response.status in REDIRECT_STATUSES and location:
                        url = urljoin(url, location)
                        continue
                    return _read_image(response)
    except UnsafeURLError as exc:
        raise ImageRefused(403, f"not fetched: {exc}") from exc
    except FETCH_ERRORS as exc:
        raise ImageRefused(502, f"could not fetch the image: {exc.__class__.__name__}") from exc
    raise ImageRefused(502, f"more than {MAX_REDIRECTS} redirects")


def _header(response: httpcore.Response, name: str) -> str:
    for key, value in response.headers:
        if key.decode("latin-1").lower() == name:
            return value.decode("latin-1")
    return ""


def _read_image(response: httpcore.Response) -> FetchedImage:
    if response.status != 200:
        raise ImageRefused(502, f"the image's server answered {response.status}")
    media_type = _header(response, "content-type").split(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES:
        raise ImageRefused(502, f"not an image: content type {media_type or 'missing'}")
    declared = _header(response, "content-length")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageRefused(502, f"image larger than {MAX_IMAGE_BYTES} bytes")
    body = bytearray()
    for chunk in response.iter_stream():
        body += chunk
        if len(body) > MAX_IMAGE_BYTES:  # a missing or lying Content-Length
            raise ImageRefused(502, f"image larger than {MAX_IMAGE_BYTES} bytes")
    return FetchedImage(bytes(body), media_type)
