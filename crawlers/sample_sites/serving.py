"""Serve an HTTP server on a background thread for the length of a ``with`` block: the
bundled sample sites and the benchmarks' generated board both run this way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer


@contextmanager
def serving(server: ThreadingHTTPServer, name: str) -> Iterator[None]:
    """Run ``server`` on a daemon thread named ``name``; shut it down and close it after."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
