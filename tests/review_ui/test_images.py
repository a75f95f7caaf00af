"""The image proxy connects to the address it checked, whatever the name answers later."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from crawlers.sample_sites.server import serve_sample_sites
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
