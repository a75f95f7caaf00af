"""One spider class per source kind."""

from __future__ import annotations

from crawlers.spiders.base import LurewatchSpider
from crawlers.spiders.facebook import FacebookSpider
from crawlers.spiders.jsonld import JsonLdSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.rss import FeedSpider
from crawlers.spiders.selectors import SelectorsSpider
from crawlers.spiders.telegram import TelegramSpider

SPIDERS: dict[str, type[LurewatchSpider]] = {
    "jsonld": JsonLdSpider,
    "selectors": SelectorsSpider,
    "telegram": TelegramSpider,
    "mastodon": MastodonSpider,
    "rss": FeedSpider,
    "facebook": FacebookSpider,
}
