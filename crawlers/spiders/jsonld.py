"""Sites whose pages carry schema.org JobPosting (JSON-LD or microdata).

Starts from listing pages (postings linked by a schema.org ItemList, pages linked by
``rel="next"``) or sitemaps. Postings already stored are not fetched again; when a
whole listing page is already known and the last run finished, pagination stops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.sitemap import Sitemap

from crawlers.extract.common import PageRejected, parse_html
from crawlers.extract.jsonld import job_postings, read_structured_data
from crawlers.extract.pages import explain_empty_page
from crawlers.spiders.base import LurewatchSpider


def is_sitemap(response: Response) -> bool:
    head = response.body[:512].lstrip()
    return head.startswith(b"<?xml") and (b"<urlset" in response.body[:2048]
                                          or b"<sitemapindex" in response.body[:2048])


class JsonLdSpider(LurewatchSpider):
    def detail_callback(self) -> Callable[[Response], Iterator[Any]]:
        return self.parse

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.fetched(response)
        if is_sitemap(response):
            yield from self.parse_sitemap(response)
            return
        try:
            text = self.page_text(response)
            root = parse_html(text)
            data = read_structured_data(root, response.url)
        except PageRejected as rejected:
            self.reject(rejected.reason, f"{response.url}: {rejected.detail}")
            return
        except RecursionError:
            self.reject("too_deep", response.url)
            return
        if data.item_urls:
            yield from self.follow_listing(response, data.item_urls, root)
        if data.postings or data.bad_blocks:
            yield from self.extract(response, lambda: job_postings(root, self.context(
                response.url)))
        elif not data.item_urls:
            refused = explain_empty_page(text, "no_job_posting", response.url)
            self.reject(refused.reason, f"{response.url}: {refused.detail}")

    def follow_listing(self, response: Response, item_urls: list[str], root: Any
                       ) -> Iterator[Request]:
        unseen = self.not_yet_stored(item_urls)
        for url in unseen:
            if self.page_budget_left():
                yield self.request(url, self.parse)
        next_links = root.xpath('//link[@rel="next"]/@href | //a[@rel="next"]/@href')
        if not next_links or not self.page_budget_left():
            return
        if not unseen and self.stop_at_seen and all(self.is_seen(url) for url in item_urls):
            self.logger.info("listing %s holds only postings already stored: stopping",
                             response.url)
            return
        yield self.request(response.urljoin(next_links[0]), self.parse)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several kinds on broken XML
            self.reject("bad_sitemap", f"{response.url}: {exc}")
            return
        urls = [response.urljoin(entry["loc"]) for entry in sitemap]
        if sitemap.type == "sitemapindex":
            for url in urls:
                yield self.request(url, self.parse)
            return
        for url in self.not_yet_stored(urls):
            if self.page_budget_left():
                yield self.request(url, self.parse)
