"""The image proxy connects to the address it checked, whatever the name answers later,
and gives up on a slow server at its deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crawlers.sample_sites.server import serve_sample_sites
from review_ui.services import images
from review_ui.services.images import ImageRefused, fetch_image

PUBLIC_ADDRESS = "93.184.215.14"


def _rebinding(real_getaddrinfo: Callable[..., Any], loopback_port: int) -> Callable[..., Any]:
    """A name server for ``rebind.test`` that answers a public address the first time and
    loopback afterwards, as a DNS-rebinding attacker's does."""
    answers = iter([PUBLIC_ADDRESS])

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (address, loopback_port))]
    return getaddrinfo


def test_a_name_rebound_to_loopback_after_the_check_reaches_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_sample_sites() as site:
        port = int(site.rsplit(":", 1)[1])
        monkeypatch.setattr(socket, "getaddrinfo", _rebinding(socket.getaddrinfo, port))
        with pytest.raises(ImageRefused) as refused:
            fetch_image(f"http://rebind.test:{port}/board/images/kilang.png",
                        allow_local=False, user_agent="lurewatch-test")
        assert refused.value.status == 403 and "127.0.0.1" in str(refused.value)
        assert site.hits["/board/images/kilang.png"] == 0


def test_a_local_test_source_still_fetches_from_loopback() -> None:
    with serve_sample_sites() as site:
        image = fetch_image(f"{site}/board/images/kilang.png", allow_local=True,
                            user_agent="lurewatch-test")
    assert image.media_type == "image/png" and image.content.startswith(b"\x89PNG")


DRIP_INTERVAL_S = 0.3
DRIP_BYTES = 20  # 6 s of dripping, far past the deadline the test sets


class DrippingHandler(BaseHTTPRequestHandler):
    """Answers a PNG's headers at once, then its body one byte per ``DRIP_INTERVAL_S``:
    each read gets a byte well within any per-read timeout."""

    def do_GET(self) -> None:
        body = b"\x89PNG" + bytes(DRIP_BYTES - 4)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up, as it should
                return
            time.sleep(DRIP_INTERVAL_S)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def dripping_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DrippingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow.png"
    server.shutdown()
    server.server_close()


def test_a_dripping_server_is_cut_at_the_deadline(monkeypatch: pytest.MonkeyPatch,
                                                  dripping_server: str) -> None:
    # The documented 10 s, shortened so the test is quick; the drip stays far below it.
    monkeypatch.setattr(images, "TIMEOUT_SECONDS", 1.0)
    started = time.monotonic()
    with pytest.raises(ImageRefused) as refused:
        fetch_image(dripping_server, allow_local=True, user_agent="lurewatch-test")
    elapsed = time.monotonic() - started
    assert refused.value.status == 502 and "longer than 1 s" in str(refused.value)
    assert 1.0 <= elapsed < 1.0 + DRIP_INTERVAL_S


def test_a_name_server_that_never_answers_is_cut_at_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # getaddrinfo has no timeout of its own: a resolver that hangs must not hold the
    # reviewer's request past the fetch's deadline (shortened here, as above).
    monkeypatch.setattr(images, "TIMEOUT_SECONDS", 1.0)
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()

    def hanging(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hang.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        released.wait(30)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (PUBLIC_ADDRESS, 80))]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    try:
        with pytest.raises(ImageRefused) as refused:
            fetch_image("http://hang.test/a.png", allow_local=False, user_agent="lurewatch-test")
    finally:
        released.set()
    assert refused.value.status == 502 and "longer than 1 s" in str(refused.value)
    assert time.monotonic() - started < 5
