"""Real local receivers for alerts: an SMTP server (aiosmtpd) and an HTTP server that
takes webhook posts and plays the Telegram Bot API's ``sendMessage``; and a link to the
live test node that a test can cut, to see the store go down under a running monitor."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class HttpReceiver:
    base_url: str
    posts: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    fail_with: int | None = None  # answer every post with this status while set
    delay: float = 0.0  # seconds each post takes to answer (a slow receiver)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for posted_path, _, body in self.posts if posted_path == path]


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            time.sleep(receiver.delay)
            status = receiver.fail_with or 200
            if status == 200:
                receiver.posts.append((self.path, dict(self.headers), body))
            reply = json.dumps({"ok": status == 200, "result": {}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class Outage:
    """A TCP link to a real service that can be cut: while cut, open connections are
    dropped and new ones accepted and closed at once, so clients see the service gone;
    restored, connections pass through again."""

    def __init__(self, upstream_url: str) -> None:
        parsed = urlsplit(upstream_url)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.is_up = threading.Event()
        self.is_up.set()
        self.closing = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def cut(self) -> None:
        self.is_up.clear()
        with self.lock:
            for connection in self.open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.open.clear()

    def restore(self) -> None:
        self.is_up.set()

    def close(self) -> None:
        self.closing.set()
        self.cut()
        self.acceptor.join()
        self.listener.close()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if not self.is_up.is_set():
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def store_link(opensearch_node: Any) -> Iterator[Outage]:
    """The live test node behind a link the test can cut and restore."""
    link = Outage(opensearch_node.url)
    try:
        yield link
    finally:
        link.close()
