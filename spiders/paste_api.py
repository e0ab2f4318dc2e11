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

The second is dpaste.com's API (dpaste.com/api/v2/), which lists a given account's public
items: responders who know the accounts that re-upload a leak watch them (``users``):

- ``GET https://dpaste.com/api/user_items_detail/<USER_ID>/``: ``{"User <id> public items":
  [{"id", "title", "syntax", "expiry", "size"}]}`` (the label says whose items they are);
- an item's page is ``https://dpaste.com/<id>`` and its raw text ``https://dpaste.com/<id>.txt``;
- an API token is optional (``Authorization: Bearer <token>``: it adds the account's own
  private items); the terms ask for a User-Agent and at most one request a second, which the
  profile sets as the download delay on dpaste.com's own API.

The items carry no creation date: a second sweep skips the items it took before as seen URLs.
Each user's listing is its own query: a failure holds that user's listing back only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider
from .api_sources import DEFAULT_API_URLS
from .cursors import META_QUERY
from .sources import Source


@dataclass(frozen=True)
class PasteEntry:
    key: str
    page_url: str  # what a responder reports
    raw_url: str  # where the raw text is
    date: int | None  # Unix seconds


@dataclass(frozen=True)
class PasteApiProfile:
    name: str
    listings: Callable[[str, Source], list[tuple[str, str]]]  # (query name, listing URL) per listing
    entries: Callable[
        [Any, str], list[PasteEntry] | None
    ]  # (answer, api) -> entries; None: not the documented shape
    refusal: Callable[[bytes], str | None]  # why a non-JSON answer refuses us
    delay: float  # seconds between requests the site asks for


def pastebin_listings(api: str, source: Source) -> list[tuple[str, str]]:
    return [(LISTING_QUERY, f"{api}/api_scraping.php?" + urlencode({"limit": "250"}))]  # the most it gives


def pastebin_entries(data: Any, api: str) -> list[PasteEntry] | None:
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


def dpaste_listings(api: str, source: Source) -> list[tuple[str, str]]:
    return [
        (f"{LISTING_QUERY}:{user}", f"{api}/api/user_items_detail/{quote(user)}/") for user in source.users
    ]


# dpaste.com item ids: letters and digits (``2SMEV9JDB``).
_DPASTE_ID_RE = re.compile(r"^[A-Za-z0-9]{4,32}$")


def dpaste_entries(data: Any, api: str) -> list[PasteEntry] | None:
    """``{"User <id> public items": [{"id", ...}]}``: one label, its list of items."""
    if not isinstance(data, dict) or len(data) != 1:
        return None
    (items,) = data.values()
    if not isinstance(items, list):
        return None
    entries = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return None
        if _DPASTE_ID_RE.match(item["id"]):
            entries.append(PasteEntry(item["id"], f"{api}/{item['id']}", f"{api}/{item['id']}.txt", None))
    return entries


def no_refusal(body: bytes) -> str | None:
    return None


PROFILES = {
    "pastebin": PasteApiProfile(
        name="pastebin",
        listings=pastebin_listings,
        entries=pastebin_entries,
        refusal=pastebin_refusal,
        delay=1.0,
    ),
    "dpaste": PasteApiProfile(
        name="dpaste",
        listings=dpaste_listings,
        entries=dpaste_entries,
        refusal=no_refusal,  # dpaste.com refuses with HTTP statuses
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
        for query, url in self.profile.listings(self.api, self.source):
            yield self.api_request(url, self.parse_listing, query)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        query = response.meta[META_QUERY]
        refusal = self.profile.refusal(response.body)
        if refusal:
            self.malformed_listing(response, f"refuses us: {refusal}", kind="access_refused")
            return
        data = self.listing_json(response)
        if data is None:
            return
        entries = self.profile.entries(data, self.api)
        if entries is None:
            self.malformed_listing(response, f"is not a {self.profile.name} listing")
            return
        if (
            not entries and self.profile.name == "pastebin"
        ):  # a busy paste site's newest pastes are never none
            self.crawler.stats.inc_value("leaktrack/empty_listings")
        cursor = self.cursor(cursor_name(self.source.name))
        for entry in entries:
            if cursor and entry.date is not None and entry.date <= int(cursor):
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            newest = self.noted(query, cursor_name(self.source.name))
            if entry.date is not None and (newest is None or entry.date > int(newest)):
                self.note_cursor(query, cursor_name(self.source.name), str(entry.date))
            yield self.content_request(entry.raw_url, entry.page_url, query)
