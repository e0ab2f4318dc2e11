"""Paste sites with a listing API: the newest pastes as JSON, each paste's raw text by its key.

One profile per site says where its listing is, how its items are shaped and how it refuses
us. The first is Pastebin's scraping API (PRO accounts; pastebin.com/doc_scraping_api):

- ``GET https://scrape.pastebin.com/api_scraping.php?limit=250``: a JSON list of the newest
  pastes, each ``{"scrape_url", "full_url", "date", "key", "size", "expire", "title",
  "syntax", "user", "hits"}`` with every value a string (``date``: Unix seconds);
- ``scrape_url`` (``api_scrape_item.php?i=<key>``) answers the paste's raw text;
- access is by the account's whitelisted IP address, not a key: any other address gets
  ``YOUR IP: ... DOES NOT HAVE ACCESS ...`` as a 200 text answer (an error here, and the source
  looks dark); Pastebin asks for at most about one request a second, which the profile sets
  as the source's download delay when ``api_url`` is Pastebin's own and the source sets no
  ``download_delay``.

Incremental: the newest ``date`` taken is the source's cursor (saved when every request of the
listing succeeded); older items are skipped without a request (``skipped_seen``), and pastes
taken before are skipped as seen URLs. The paste is reported under ``full_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider
from .api_sources import DEFAULT_API_URLS


@dataclass(frozen=True)
class PasteEntry:
    key: str
    page_url: str  # what a responder reports
    raw_url: str  # where the raw text is
    date: int | None  # Unix seconds


@dataclass(frozen=True)
class PasteApiProfile:
    name: str
    listing_path: str
    listing_params: dict[str, str]
    entries: Callable[[Any], list[PasteEntry] | None]  # None: not the documented shape
    refusal: Callable[[bytes], str | None]  # why a non-JSON answer refuses us
    delay: float  # seconds between requests the site asks for


def pastebin_entries(data: Any) -> list[PasteEntry] | None:
    if not isinstance(data, list):
        return None
    entries = []
    for item in data:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("key", "full_url", "scrape_url")
        ):
            return None
        date = str(item.get("date"))
        entries.append(
            PasteEntry(
                item["key"], item["full_url"], item["scrape_url"], int(date) if date.isdigit() else None
            )
        )
    return entries


def pastebin_refusal(body: bytes) -> str | None:
    text = body[:500].decode("utf-8", "replace").strip()
    if "DOES NOT HAVE ACCESS" in text.upper():
        return "Pastebin refused access: this IP address is not whitelisted for the scraping API (a PRO account setting)"
    return None


PROFILES = {
    "pastebin": PasteApiProfile(
        name="pastebin",
        listing_path="/api_scraping.php",
        listing_params={"limit": "250"},  # the most the API gives at once
        entries=pastebin_entries,
        refusal=pastebin_refusal,
        delay=1.0,
    ),
}


LISTING_QUERY = "listing"


def cursor_name(source: str) -> str:
    return f"paste_api:{source}:newest_date"


class PasteApiSpider(ApiSpider):
    name = "paste_api"
    kind = "paste_api"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.profile = PROFILES[self.source.profile or "pastebin"]
        if self.source.download_delay is None and self.is_the_sites_own_api():
            self.download_delay = self.profile.delay  # the site's own request; a stand-in sets its own

    def is_the_sites_own_api(self) -> bool:
        return self.api == DEFAULT_API_URLS.get(f"paste_api:{self.profile.name}")

    async def start(self):
        url = f"{self.api}{self.profile.listing_path}?{urlencode(self.profile.listing_params)}"
        yield self.api_request(url, self.parse_listing, LISTING_QUERY)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        refusal = self.profile.refusal(response.body)
        if refusal:
            self.malformed_listing(response, f"refuses us: {refusal}", kind="access_refused")
            return
        data = self.listing_json(response)
        if data is None:
            return
        entries = self.profile.entries(data)
        if entries is None:
            self.malformed_listing(response, f"is not a {self.profile.name} listing")
            return
        if not entries:  # a busy paste site's newest pastes are never none
            self.crawler.stats.inc_value("leaktrack/empty_listings")
        cursor = self.cursor(cursor_name(self.source.name))
        for entry in entries:
            if cursor and entry.date is not None and entry.date <= int(cursor):
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            newest = self.noted(LISTING_QUERY, cursor_name(self.source.name))
            if entry.date is not None and (newest is None or entry.date > int(newest)):
                self.note_cursor(LISTING_QUERY, cursor_name(self.source.name), str(entry.date))
            yield self.content_request(entry.raw_url, entry.page_url, LISTING_QUERY)
