"""What the OpenSearch and Elasticsearch test nodes share: free loopback ports, and
waiting for a node's cluster to be ready."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx


class NodeError(RuntimeError):
    """The test node could not be started or did not answer."""


POM_NAMESPACE = "{http://maven.apache.org/POM/4.0.0}"


def pom_property(pom: Path, name: str) -> str:
    """A ``<properties>`` value of ``pom`` (the pins the set-up fetched)."""
    found = ET.parse(pom).getroot().find(f"{POM_NAMESPACE}properties/{POM_NAMESPACE}{name}")
    if found is None or not found.text:
        raise NodeError(f"{pom} names no {name}")
    return found.text.strip()


def cache_dir() -> Path:
    """Where the set-up caches what it fetched (``$LUREWATCH_CACHE``)."""
    return Path(os.environ.get("LUREWATCH_CACHE", Path.home() / ".cache" / "lurewatch"))


class NodeProcess(Protocol):
    process: subprocess.Popen[bytes] | None

    @property
    def url(self) -> str: ...

    def log_tail(self, lines: int = 30) -> str: ...


def free_ports(count: int, candidates: range | None = None) -> list[int]:
    """``count`` distinct loopback ports nobody listens on (from ``candidates``, else any).
    The probes stay bound until all are chosen, so the ports differ."""
    probes: list[socket.socket] = []
    # Random order: several test sessions share this machine, and a node that stops and
    # restarts must not find its port taken by another session's node meanwhile.
    ports = random.sample(candidates, len(candidates)) if candidates else [0] * count
    try:
        for port in ports:
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                probe.close()
                continue
            probes.append(probe)
            if len(probes) == count:
                return [int(p.getsockname()[1]) for p in probes]
    finally:
        for probe in probes:
            probe.close()
    raise NodeError(f"fewer than {count} free loopback ports in {candidates}")


def wait_until_yellow(node: NodeProcess, timeout_s: float,
                      before_each_poll: Callable[[], None] = lambda: None) -> None:
    """Block until ``node`` answers and its cluster is at least yellow (a cluster manager
    elected, its shards allocated); :class:`NodeError` with the log's tail if the process
    dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if node.process is None or node.process.poll() is not None:
            raise NodeError(f"the node exited while starting:\n{node.log_tail()}")
        before_each_poll()
        try:
            health = httpx.get(f"{node.url}/_cluster/health",
                               params={"wait_for_status": "yellow", "timeout": "2s"}, timeout=5)
            if health.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise NodeError(f"the node did not answer within {timeout_s:.0f}s:\n{node.log_tail()}")
