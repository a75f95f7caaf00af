"""Scrapy's DNS resolver, refusing names that resolve to non-public addresses.

The URL-safety middleware checks a request's host before it leaves, with its own lookup;
Scrapy then resolves the name again to connect. A name can answer a public address to the
first lookup and a private one to the second (DNS rebinding), so the crawl process checks
again here, on the very answer it connects to. Installed for crawl processes with no
``local_test`` source (the resolver is one per process, not per source).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred

from lurewatch.config import Source
from lurewatch.urls import UnsafeURLError, refuse_non_public

logger = logging.getLogger(__name__)
PUBLIC_ADDRESS_RESOLVER = "crawlers.resolver.PublicAddressResolver"


class PublicAddressResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802 - Twisted's naming
        resolving = super().getHostByName(name, timeout)
        resolving.addCallback(self._refuse_non_public, name)
        return resolving

    @staticmethod
    def _refuse_non_public(address: str, name: str) -> str:
        try:
            refuse_non_public(address, name)
        except UnsafeURLError as exc:
            # Twisted turns any resolver failure into "no results"; say the real reason.
            logger.warning("not connecting: %s", exc)
            raise
        return address


def resolver_settings(sources: list[Source]) -> dict[str, str]:
    """The process-wide ``DNS_RESOLVER`` for a crawl of ``sources``."""
    if any(source.local_test for source in sources):
        return {}
    return {"DNS_RESOLVER": PUBLIC_ADDRESS_RESOLVER}
