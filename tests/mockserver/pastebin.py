"""A stand-in for Pastebin's scraping API (pastebin.com/doc_scraping_api) on 127.0.0.1.

- ``GET /api_scraping.php?limit=N`` (N at most 250, default 50; ``lang`` filters by syntax): the
  newest pastes first, as a JSON list of ``{"scrape_url", "full_url", "date", "key", "size",
  "expire", "title", "syntax", "user", "hits"}``, every value a string.
- ``GET /api_scrape_item.php?i=KEY``: the paste's raw text; an unknown key answers
  ``Error, we cannot find this paste.``
- Access is by whitelisted IP: with ``whitelisted = False`` every answer is Pastebin's
  ``YOUR IP: ... DOES NOT HAVE ACCESS`` text (status 200).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .scripted import Reply, ScriptedServer, SeenRequest

NO_ACCESS = (
    "YOUR IP: 127.0.0.1 DOES NOT HAVE ACCESS. VISIT: https://pastebin.com/doc_scraping_api TO GET ACCESS!"
)


@dataclass
class Paste:
    key: str
    date: int  # Unix seconds
    text: str
    syntax: str = "text"


class PastebinScrapingApi(ScriptedServer):
    def __init__(self):
        super().__init__(self.route_request)
        self.pastes: list[Paste] = []
        self.whitelisted = True

    def add_paste(self, key: str, date: int, text: str) -> Paste:
        paste = Paste(key, date, text)
        self.pastes.append(paste)
        return paste

    def route_request(self, request: SeenRequest) -> Reply:
        if not self.whitelisted:
            return Reply(200, NO_ACCESS.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if request.path == "/api_scraping.php":
            return self.listing(request)
        if request.path == "/api_scrape_item.php":
            return self.item(request)
        return Reply.text("404", 404)

    def listing(self, request: SeenRequest) -> Reply:
        limit = min(int(request.param("limit", "50")), 250)
        language = request.param("lang")
        pastes = sorted(self.pastes, key=lambda paste: paste.date, reverse=True)
        if language:
            pastes = [paste for paste in pastes if paste.syntax == language]
        items = [self.listing_item(paste) for paste in pastes[:limit]]
        return Reply(200, json.dumps(items).encode(), {"Content-Type": "application/json; charset=utf-8"})

    def listing_item(self, paste: Paste) -> dict[str, str]:
        return {
            "scrape_url": f"{self.url}/api_scrape_item.php?i={paste.key}",
            "full_url": f"https://pastebin.example/{paste.key}",
            "date": str(paste.date),
            "key": paste.key,
            "size": str(len(paste.text.encode())),
            "expire": "0",
            "title": "",
            "syntax": paste.syntax,
            "user": "",
            "hits": "3",
        }

    def item(self, request: SeenRequest) -> Reply:
        key = request.param("i")
        for paste in self.pastes:
            if paste.key == key:
                return Reply.text(paste.text)
        return Reply.text("Error, we cannot find this paste.")
