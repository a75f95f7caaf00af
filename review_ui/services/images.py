"""A record's images, fetched by the server for a reviewer who asked to see one.

The reviewer's browser never contacts the poster's server (which would tell a trafficker
who looks, and from where): the application fetches the image itself, with the crawlers'
safety rule (no private, loopback or link-local address unless the record's source is a
``local_test`` source), a size cap, and only raster image types, and hands it back with
``Cache-Control: no-store``. Redirects are followed by hand so every hop is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from lurewatch.config import ConfigError, Settings, UnsafeURLError, check_fetchable, load_sources

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 10.0
# Raster types only: an SVG is a document that can carry script.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
# load_sources needs some base for the sample sites' "{base_url}" start URLs; only the
# sources' names and local_test flags are read here.
PLACEHOLDER_BASE_URL = "http://127.0.0.1"


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


def fetch_image(url: str, *, allow_local: bool, user_agent: str) -> FetchedImage:
    """The image at ``url``, or :class:`ImageRefused` saying why not."""
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                          headers={"User-Agent": user_agent}) as client:
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    check_fetchable(url, allow_local=allow_local)
                except UnsafeURLError as exc:
                    raise ImageRefused(403, f"not fetched: {exc}") from exc
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _read_image(response)
    except httpx.HTTPError as exc:
        raise ImageRefused(502, f"could not fetch the image: {exc.__class__.__name__}") from exc
    raise ImageRefused(502, f"more than {MAX_REDIRECTS} redirects")


def _read_image(response: httpx.Response) -> FetchedImage:
    if response.status_code != 200:
        raise ImageRefused(502, f"the image's server answered {response.status_code}")
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES:
        raise ImageRefused(502, f"not an image: content type {media_type or 'missing'}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageRefused(502, f"image larger than {MAX_IMAGE_BYTES} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_IMAGE_BYTES:  # a missing or lying Content-Length
            raise ImageRefused(502, f"image larger than {MAX_IMAGE_BYTES} bytes")
    return FetchedImage(bytes(body), media_type)
