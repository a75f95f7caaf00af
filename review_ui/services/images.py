"""A record's images, fetched by the server for a reviewer who asked to see one.

The reviewer's browser never contacts the poster's server (which would tell a trafficker
who looks, and from where): the application fetches the image itself, with the crawlers'
safety rule (no private, loopback or link-local address unless the record's source is a
``local_test`` source), a size cap, and only raster image types, and hands it back with
``Cache-Control: no-store``. Redirects are followed by hand so every hop is checked, and
the connection goes to the very address that was checked (httpcore's network backend is
where the name is resolved), so a name that answers a public address to the check and a
private one to the connection (DNS rebinding) reaches nothing.

A fetch, redirects included, has ``TIMEOUT_SECONDS`` in all: httpcore's timeouts bound
each read, so a server that drips a byte at a time would hold a request as long as it
liked; the network backend gives every connect, read and write only what is left. Name
lookups have no timeout of their own (``getaddrinfo`` blocks as long as the resolver
waits), so they run on a helper thread that the fetch stops waiting for at its deadline.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpcore

from lurewatch.config import ConfigError, Settings, load_sources
from lurewatch.urls import UnsafeURLError, check_fetchable, public_addresses

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10.0  # for the whole fetch, redirects included
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


class Deadline:
    """The moment a fetch must be over by."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def bound(self, timeout: float | None) -> float:
        """``timeout`` cut to the time left; past the deadline, a timeout at once."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise httpcore.TimeoutException(f"no answer within {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)


Result = TypeVar("Result")


def within(deadline: Deadline, work: Callable[[], Result]) -> Result:
    """``work()``'s result (or its exception), waited for no longer than the deadline
    allows. For calls with no timeout of their own: a lookup still running at the
    deadline is left to finish on its daemon thread, its answer unused."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the waiting request below
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name="image-fetch-lookup", daemon=True)
    worker.start()
    worker.join(deadline.bound(None))
    if not outcome:
        raise httpcore.TimeoutException(f"no answer within {deadline.seconds:g} s")
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write is bounded by the fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self.deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.deadline.bound(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self.stream.start_tls(
            ssl_context, server_hostname, self.deadline.bound(timeout)), self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class FetchBackend(httpcore.SyncBackend):
    """Connections of one fetch: all within its deadline and, unless ``allow_local``,
    only to a public address of the host, the one it checked."""

    def __init__(self, deadline: Deadline, *, allow_local: bool) -> None:
        self.deadline = deadline
        self.allow_local = allow_local

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                    ) -> httpcore.NetworkStream:
        address = host if self.allow_local else within(
            self.deadline, partial(public_addresses, host, port))[0]
        stream = super().connect_tcp(address, port, self.deadline.bound(timeout),
                                     local_address, socket_options)
        return DeadlineStream(stream, self.deadline)


def fetch_image(url: str, *, allow_local: bool, user_agent: str) -> FetchedImage:
    """The image at ``url``, or :class:`ImageRefused` saying why not."""
    deadline = Deadline(TIMEOUT_SECONDS)
    try:
        with httpcore.ConnectionPool(
                network_backend=FetchBackend(deadline, allow_local=allow_local)) as pool:
            for _ in range(MAX_REDIRECTS + 1):
                within(deadline, partial(check_fetchable, url, allow_local=allow_local))
                with pool.stream("GET", url, headers={"User-Agent": user_agent}) as response:
                    location = _header(response, "location")
                    if response.status in REDIRECT_STATUSES and location:
                        url = urljoin(url, location)
                        continue
                    return _read_image(response)
    except UnsafeURLError as exc:
        raise ImageRefused(403, f"not fetched: {exc}") from exc
    except httpcore.TimeoutException as exc:
        raise ImageRefused(502, f"the image's server took longer than {deadline.seconds:g} s"
                           ) from exc
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
