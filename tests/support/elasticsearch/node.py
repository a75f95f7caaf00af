"""Start and stop a real Elasticsearch 8 node from the distribution ``fetch.sh`` cached.

The node is Elasticsearch's own launcher (``bin/elasticsearch``) over the integration-test
distribution plus the test plugin (``plugin/``, standing in for ``analysis-common`` and
``rest-root``, which that build lacks). We only choose ports, write ``elasticsearch.yml``
and wait for it. Elasticsearch refuses to run as root, so under root the node runs as
``nobody`` over a hard-linked copy of the install in a folder that user can reach (the cache
lives under root's home, which nobody else may enter). Used by the test fixtures and by hand::

    tests/support/elasticsearch/fetch.sh
    python -m tests.support.elasticsearch.node   # prints the URL, Ctrl-C stops
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.support.engine_node import (
    NodeError,
    cache_dir,
    free_ports,
    pom_property,
    wait_until_yellow,
)

HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 180
NOBODY = 65534  # the unprivileged user the node runs as when the tests run as root


def version() -> str:
    return pom_property(HERE / "pom.xml", "elasticsearch.version")


def install_dir() -> Path:
    return cache_dir() / f"elasticsearch-{version()}"


def install_present() -> bool:
    return (install_dir() / "complete").is_file()


def _link_tree(source: Path, target: Path) -> None:
    """Copy ``source`` as hard links (instant, no disk), falling back to real copies
    across file systems. Linked files keep the cache's modes, which let anyone read."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy, symlinks=True)


class ElasticsearchNode:
    """One single-node Elasticsearch cluster. ``start``/``stop`` may be repeated: data and
    ports stay, so a restarted node recovers its indices at the same URL."""

    def __init__(self, *, cluster_name: str, heap: str = "512m") -> None:
        self.cluster_name = cluster_name
        self.heap = heap
        # Not under pytest's tmp_path: that folder is private to root, and the node may not be.
        self.base = Path(tempfile.mkdtemp(prefix="lurewatch-es-"))
        self.http_port, self.transport_port = free_ports(2)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.base / "launcher.log"
        self._as_nobody = os.geteuid() == 0
        self._home = self.base / "home" if self._as_nobody else install_dir() / "home"
        self._prepared = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _prepare(self) -> None:
        if not install_present():
            raise NodeError(f"Elasticsearch test node missing in {install_dir()}: "
                            "run tests/support/elasticsearch/fetch.sh")
        if self._as_nobody:
            _link_tree(install_dir() / "home", self._home)
        conf = self.base / "config"
        shutil.copytree(self._home / "config", conf)
        for folder in ("data", "logs", "tmp"):
            (self.base / folder).mkdir()
        (conf / "elasticsearch.yml").write_text("\n".join([
            f"cluster.name: {self.cluster_name}",
            "node.name: lurewatch-test",
            "network.host: 127.0.0.1",
            f"http.port: {self.http_port}",
            f"transport.port: {self.transport_port}",
            "discovery.type: single-node",
            "xpack.security.enabled: false",
            f"path.data: {self.base / 'data'}",
            f"path.logs: {self.base / 'logs'}",
            # Shared build machines fill their disks; tests must not go read-only for it.
            "cluster.routing.allocation.disk.threshold_enabled: false",
        ]) + "\n", encoding="utf-8")
        if self._as_nobody:
            # The node writes its keystore into config/ and its state into data/, logs/, tmp/;
            # the linked install stays root's (chown would change the cache's files too).
            self.base.chmod(0o755)
            for folder in ("config", "data", "logs", "tmp"):
                for path in [self.base / folder, *(self.base / folder).rglob("*")]:
                    os.chown(path, NOBODY, NOBODY)
        self._prepared = True

    def launch(self) -> None:
        """Start the node without waiting for it (see :meth:`wait`)."""
        if self.process is not None and self.process.poll() is None:
            raise NodeError("the node is already running")
        java = os.environ.get("LUREWATCH_JAVA") or shutil.which("java")
        if java is None:
            raise NodeError("no java on PATH (set LUREWATCH_JAVA)")
        if not self._prepared:
            self._prepare()
        command = [str(self._home / "bin" / "elasticsearch")]
        if self._as_nobody:
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       "--", *command]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # The integration-test build bundles no JDK: it runs on the one the tests use.
            "ES_JAVA_HOME": str(Path(java).resolve().parent.parent),
            "ES_PATH_CONF": str(self.base / "config"),
            "ES_TMPDIR": str(self.base / "tmp"),
            "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}",
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, cwd=self.base,
                                        start_new_session=True)
        log.close()

    def wait(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Block until the node answers and its cluster is at least yellow; fail with the
        log's tail if it dies."""
        wait_until_yellow(self, timeout_s)

    def start(self) -> None:
        self.launch()
        self.wait()

    def stop(self, timeout_s: float = 30) -> None:
        """Stop the node: SIGTERM to the launcher's process group (launcher and server JVM),
        SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def remove(self) -> None:
        """Stop the node and delete its folder (data, logs and the linked install)."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        logs = [self.log_path, self.base / "logs" / f"{self.cluster_name}.log"]
        text = "\n".join(path.read_text(encoding="utf-8", errors="replace")
                         for path in logs if path.exists())
        return "\n".join(text.splitlines()[-lines:]) or "(no log)"


def main() -> None:
    node = ElasticsearchNode(cluster_name="lurewatch-dev")
    node.start()
    print(node.url, flush=True)
    try:
        if node.process is not None:
            node.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.remove()


if __name__ == "__main__":
    main()
