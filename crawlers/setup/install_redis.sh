#!/bin/sh
# Installs Debian's redis-server for the crawlers' distributed-mode test
# (tests/crawlers: test_two_processes_share_one_frontier_and_fetch_every_page_once).
# Idempotent: does nothing when redis-server is already on PATH. The test starts its own
# private server on a free loopback port; nothing is left running.
set -eu
if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y --no-install-recommends redis-server
else
    sudo apt-get install -y --no-install-recommends redis-server
fi
# Debian starts a system-wide service on install; the tests do not need it.
if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
