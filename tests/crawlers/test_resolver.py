"""The crawl process's resolver refuses non-public answers on its own, behind the
URL-safety middleware: what Scrapy connects to is what was checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawlers.resolver import PUBLIC_ADDRESS_RESOLVER, resolver_settings
from crawlers.sample_sites.server import serve_sample_sites
from lurewatch.config import PACKAGE_ROOT, Source

# A bare Scrapy process (no URL-safety middleware) fetching one URL with the given resolver.
PROBE_SCRIPT = """
import json, sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
url, resolver = sys.argv[1], sys.argv[2]
outcome = {"status": None, "error": None}

class Probe(Spider):
    name = "probe"
    async def start(self):
        yield Request(url, callback=self.parse, errback=self.failed)
    def parse(self, response):
        outcome["status"] = response.status
    def failed(self, failure):
        outcome["error"] = repr(failure.value)

settings = {"ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False, "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False}
if resolver:
    settings["DNS_RESOLVER"] = resolver
process = CrawlerProcess(settings)
process.crawl(Probe)
process.start()
print(json.dumps(outcome))
"""


def _probe(url: str, resolver: str) -> tuple[dict[str, object], str]:
    """What the probe's request came to, and the process's log."""
    done = subprocess.run([sys.executable, "-c", PROBE_SCRIPT, url, resolver], check=True,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize("resolver", ["", PUBLIC_ADDRESS_RESOLVER])
def test_the_resolver_alone_keeps_a_crawl_off_loopback(resolver: str) -> None:
    with serve_sample_sites() as site:
        port = site.rsplit(":", 1)[1]
        outcome, log = _probe(f"http://localhost:{port}/board/images/kilang.png", resolver)
        fetched = site.hits["/board/images/kilang.png"]
    if resolver:
        assert fetched == 0 and outcome["status"] is None
        assert "localhost" in str(outcome["error"])
        assert "not connecting: localhost resolves to 127.0.0.1, a non-public address" in log
    else:  # Scrapy's own resolver: the probe reaches the loopback site
        assert fetched == 1 and outcome["status"] == 200


def test_the_resolver_is_installed_unless_a_source_is_a_local_test_source() -> None:
    public = Source(name="papan", kind="jsonld", start_urls=["https://example.org/jobs"])
    local = public.model_copy(update={"name": "sample", "local_test": True})
    assert resolver_settings([public]) == {"DNS_RESOLVER": PUBLIC_ADDRESS_RESOLVER}
    assert resolver_settings([public, local]) == {}
