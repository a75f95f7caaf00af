"""``lurewatch serve`` behind a reverse proxy: the address a request comes from, as a real
uvicorn server on loopback sees it with the options ``serve`` gives it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from review_ui.commands import server_options
from tests.review_ui.conftest import Env, make_env

FORWARDED_CLIENT = "203.0.113.7"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(env: Env) -> Iterator[str]:
    """The app served by uvicorn in a thread, as ``serve`` would run it; its base URL."""
    options = server_options(env.settings, "127.0.0.1", _free_port())
    server = uvicorn.Server(uvicorn.Config(env.app, log_level="warning", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{options['port']}"
    finally:
        server.should_exit = True
        thread.join(10)


def _send_wrong_password(base_url: str) -> None:
    """A wrong password for ``ana``, said to come from ``FORWARDED_CLIENT``."""
    with httpx.Client(base_url=base_url) as client:
        client.get("/login")
        response = client.post(
            "/login", data={"username": "ana", "password": "wrong wrong",
                            "csrf_token": client.cookies["lw_csrf"]},
            headers={"X-Forwarded-For": FORWARDED_CLIENT})
    assert response.status_code == 401


@pytest.mark.parametrize(("trusted", "counted_as"), [
    (["127.0.0.1"], FORWARDED_CLIENT),  # the proxy on loopback is believed
    (["10.0.0.0/8"], "127.0.0.1"),  # a header from anyone else is not
    ([], "127.0.0.1"),  # the default believes nobody
])
def test_forwarded_for_is_believed_only_from_trusted_proxies(
        tmp_path: Path, trusted: list[str], counted_as: str) -> None:
    env = make_env(tmp_path, review={"forwarded_allow_ips": trusted})
    try:
        with serving(env) as base_url:
            _send_wrong_password(base_url)
    finally:
        env.store.close()
    failed = next(e for e in env.db.audit_entries() if e.action == "login_failed")
    assert failed.detail == f"from {counted_as}"
