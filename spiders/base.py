"""What every leaktrack spider shares: being configured by one ``Source``.

A spider only says where to go and what to take. Scanning and storing are pipelines;
politeness, limits, the private-address guard and incremental fetching are middlewares and
settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import scrapy
from scrapy.http import Response

from ..credentials import Secrets
from ..errors import SourcesError
from .items import FetchedDocument
from .meta import META_DOCUMENT_URL, META_INCREMENTAL, META_SOURCE
from .middlewares import record_failure
from .sources import (
    GIVEN_SOURCE_DICT,
    Source,
    is_source_json,
    load_sources,
    parse_source_dict,
    parse_source_json,
)


class SourceSpider(scrapy.Spider):
    """A spider run for one source of the sources file.

    ``source`` is a ``Source`` (from ``leaktrack sweep``), its dict form, or a source name
    looked up in the file named by the ``LEAKTRACK_SOURCES`` setting (from ``scrapy crawl``).
    """

    kind = ""

    def __init__(
        self, source: Source | dict | None = None, *, secrets: Mapping[str, str] | None = None, **kwargs: Any
    ):
        if not isinstance(source, Source):
            raise SourcesError(f"the {self.name} spider needs a source")
        super().__init__(name=f"{self.name}:{source.name}", **kwargs)
        self.source = source
        # The run's secrets (API tokens, the store's credentials), an argument and never a
        # setting: Scrapy logs its settings (see credentials.py).
        self.secrets = Secrets(secrets)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, source: Source | dict | str | None = None, **kwargs: Any):
        resolved = _resolve_source(source, crawler.settings, cls.kind)
        if isinstance(source, str):  # started by `scrapy crawl -a source=...` (tokens: cli/scrapy_commands)
            refuse_unchecked_queries(resolved, crawler.settings)
        apply_source_settings(crawler.settings, resolved)
        return super().from_crawler(crawler, *args, source=resolved, **kwargs)

    def request(
        self,
        url: str,
        callback: Callable,
        incremental: str | None = None,
        document_url: str | None = None,
        **meta: Any,
    ) -> scrapy.Request:
        meta[META_SOURCE] = self.source.name
        if incremental:
            meta[META_INCREMENTAL] = incremental
        if document_url:
            meta[META_DOCUMENT_URL] = document_url
        if not self.source.obey_robots_txt:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, errback=self.request_failed, meta=meta)

    def request_failed(self, failure) -> None:
        """Failures are counted and explained by the tally, not handled here."""
        record_failure(self.crawler, failure)

    def document(
        self,
        response: Response,
        body: bytes | None = None,
        content_type: str | None = None,
        title: str | None = None,
        extraction: str = "document",
    ) -> FetchedDocument:
        headers = response.headers
        return FetchedDocument(
            source=self.source.name,
            url=response.meta.get(META_DOCUMENT_URL, response.url),
            body=response.body if body is None else body,
            fetched_url=response.url,
            content_url=requested_url(response),
            extraction=extraction,
            http_status=response.status,
            content_type=content_type or _header(headers, b"Content-Type"),
            title=title,
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            not_modified=response.status == 304,
            robots_exempt=bool(response.meta.get("dont_obey_robotstxt")),
        )


def apply_source_settings(settings, source: Source) -> None:
    """The source's own politeness (``download_delay``, ``concurrent_requests``) over the run's:
    each source is its own crawler, so an API's rate limit binds its source alone. Set before
    the crawler's settings freeze (the spider is made first)."""
    if source.download_delay is not None:
        settings.set("DOWNLOAD_DELAY", source.download_delay, priority="cmdline")
    if source.concurrent_requests is not None:
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", source.concurrent_requests, priority="cmdline")


def refuse_unchecked_queries(source: Source, settings) -> None:
    """What ``leaktrack sweep`` checks before a crawl (``crawl.preflight``), for a source run by
    ``scrapy crawl``: no query text it sends a third party (a search API, an archive's index,
    Telegram) holds a value of the dataset. Without fingerprints to check against, refused."""
    from .api_sources import has_query_texts, refuse_dataset_values_in_queries

    if not has_query_texts([source]):
        return
    path, key_file = settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE")
    if not path or not key_file:
        raise SourcesError(
            f"source {source.name!r} sends queries to a third party, checked against the fingerprints"
            " first: give -s LEAKTRACK_FINGERPRINTS=FILE -s LEAKTRACK_KEY_FILE=FILE (or run leaktrack sweep)"
        )
    from .scanning import load_fingerprints

    refuse_dataset_values_in_queries([source], load_fingerprints(path, key_file))


def _resolve_source(source: Source | dict | str | None, settings, kind: str) -> Source:
    if isinstance(source, Source):
        return source
    if isinstance(source, dict):
        return _of_kind(parse_source_dict(source, GIVEN_SOURCE_DICT), kind)
    if is_source_json(source):
        return _of_kind(parse_source_json(source), kind)
    if isinstance(source, str):
        path = settings.get("LEAKTRACK_SOURCES")
        if not path:
            raise SourcesError("-a source=NAME needs -s LEAKTRACK_SOURCES=FILE")
        return _of_kind(load_sources(path).select([source])[0], kind)
    raise SourcesError("give the spider a source: scrapy crawl SPIDER -a source=NAME")


def _of_kind(source: Source, kind: str) -> Source:
    if source.kind != kind:
        raise SourcesError(f"source {source.name!r} is a {source.kind} source, not {kind}")
    return source


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def requested_url(response: Response) -> str:
    """The URL the spider asked for, before any redirect (what a recheck must ask for again)."""
    redirects = response.meta.get("redirect_urls")
    return redirects[0] if redirects else response.url


def page_title(response: Response) -> str | None:
    if not hasattr(response, "css"):
        return None
    title = response.css("title::text").get()
    return title.strip() if title and title.strip() else None


def is_html(response: Response) -> bool:
    content_type = (_header(response.headers, b"Content-Type") or "").lower()
    return "html" in content_type and hasattr(response, "css")


def crawl_secrets(crawler: Any) -> Secrets:
    """The secrets of the crawl ``crawler`` runs (its spider's), for pipelines that open the
    store; none for a crawler without a spider of ours (Scrapy's test crawlers)."""
    return getattr(crawler.spider, "secrets", None) or Secrets()
