"""Scrapy's own outputs carry no personal data: feed exports without bodies, no HTTP cache.

A downloaded document may hold the leaked records. leaktrack keeps what it must (matches in
the store, evidence owner-only and only when asked); Scrapy's own outputs must not make more
copies behind the responder's back:

- ``scrapy crawl ... -O file.json`` (feed exports) writes the item fields in
  ``FEED_EXPORT_FIELDS``, which leaves out the body and the scan result (record ids);
  a feed or setting that asks for them is refused before the crawl starts.
- The HTTP cache (``HTTPCACHE_ENABLED``) would keep every downloaded body on disk; it stays
  off, and a crawl that turns it on is refused.

``OutputsGuard`` is an extension, so ``scrapy crawl`` and ``leaktrack sweep`` refuse alike;
``leaktrack sweep`` also checks before it starts the crawl process (one line, no traceback).
"""

from __future__ import annotations

from dataclasses import fields

from ..errors import SourcesError
from .items import FetchedDocument

# Fields of FetchedDocument that hold (or are drawn from) the downloaded text.
PERSONAL_FIELDS = ("body", "scan")
EXPORT_FIELDS = [field.name for field in fields(FetchedDocument) if field.name not in PERSONAL_FIELDS]


class PersonalDataOutputError(SourcesError):
    """A crawl setting would write downloaded bodies outside the store and evidence folder."""


def personal_data_outputs(settings) -> list[str]:
    """Why these Scrapy settings would write downloaded bodies somewhere ([] when they do not)."""
    reasons = []
    if settings.getbool("HTTPCACHE_ENABLED"):
        reasons.append("HTTPCACHE_ENABLED would keep every downloaded body on disk; leave the HTTP cache off")
    asked = [("FEED_EXPORT_FIELDS", settings.getlist("FEED_EXPORT_FIELDS") or EXPORT_FIELDS)]
    for uri, options in (settings.getdict("FEEDS") or {}).items():
        if options and options.get("fields"):
            asked.append((f"the feed {uri}", list(options["fields"])))
    for where, names in asked:
        if names == ["*"] or "*" in names:
            names = [field.name for field in fields(FetchedDocument)]
        kept = sorted(set(names) & set(PERSONAL_FIELDS))
        if kept:
            reasons.append(
                f"{where} exports {', '.join(kept)} (the downloaded text); export fields without it"
            )
    return reasons


def refuse_personal_data_outputs(settings) -> None:
    reasons = personal_data_outputs(settings)
    if reasons:
        raise PersonalDataOutputError("refused: " + "; ".join(reasons))


class OutputsGuard:
    """Refuses to start a crawl whose settings would write downloaded bodies (see above)."""

    def __init__(self, crawler):
        refuse_personal_data_outputs(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
