"""Known URLs: fetch exactly these (known copies, raw files, gists). Also used by ``recheck``."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from .base import SourceSpider
from .meta import META_DOCUMENT_URL
from .paste import paste_page_document

# Answers that mean "the copy is gone"; a recheck must see them instead of an error.
# 451 (RFC 7725, Unavailable For Legal Reasons) is how hosts withhold content after a legal
# request: GitHub answers it for a repository disabled by a DMCA notice, the very outcome a
# takedown asks for.
GONE_STATUSES = (404, 410, 451)
# What Scrapy's RobotsTxtMiddleware raises IgnoreRequest with (scrapy/downloadermiddlewares/robotstxt.py).
ROBOTS_REFUSAL = "Forbidden by robots.txt"
RECHECK_ANSWERS_STAT = "leaktrack/recheck_answers"


class UrlsSpider(SourceSpider):
    name = "urls"
    kind = "urls"

    def __init__(
        self, *args: Any, recheck: bool = False, recheck_targets: list[dict] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.recheck = recheck
        self.recheck_targets = recheck_targets or []

    async def start(self):
        if self.recheck:
            for target in self.recheck_targets:
                yield self.recheck_request(target)
            return
        for url in self.source.urls:
            # document_url: a copy is reported (and rechecked) under the URL we were given,
            # even when it redirects.
            yield self.request(
                url,
                self.parse_file,
                incremental="conditional",
                document_url=url,
                handle_httpstatus_list=[304],
            )

    def recheck_request(self, target: dict):
        """Fetch what the sweep fetched for this copy (``content_url``) and read it the same way."""
        if target["extraction"] == "warc_record":  # a Common Crawl record: its bytes of a WARC file
            from .commoncrawl import warc_record_request

            request = warc_record_request(
                self,
                target["content_url"],
                self.parse_warc_record,
                document_url=target["url"],
                handle_httpstatus_list=list(GONE_STATUSES),
            )
        else:
            callbacks = {"paste_page": self.parse_paste_page, "telegram_message": self.parse_telegram_message}
            request = self.request(
                target["content_url"],
                callbacks.get(target["extraction"], self.parse_file),
                document_url=target["url"],
                handle_httpstatus_list=list(GONE_STATUSES),
                dont_filter=True,
            )
        if target.get("robots_exempt"):  # the sweep fetched it without robots.txt (recheck.py)
            request.meta["dont_obey_robotstxt"] = True
        return request.replace(errback=self.recheck_failed)

    def recheck_failed(self, failure) -> None:
        """A recheck's request that came to nothing: counted like any failure, and, when the
        site's robots.txt forbade it, noted as an answer saying so (``recheck.judge``: "not
        checked, disallowed by robots.txt", never "gone"): not the same as a host that did not
        answer."""
        self.request_failed(failure)
        error, request = failure.value, failure.request
        if isinstance(error, IgnoreRequest) and str(error) == ROBOTS_REFUSAL:
            answers = self.crawler.stats.get_value(RECHECK_ANSWERS_STAT) or []
            url = request.meta.get(META_DOCUMENT_URL, request.url)
            answers.append(
                {"url": url, "content_url": request.url, "http_status": None, "robots_disallowed": True}
            )
            self.crawler.stats.set_value(RECHECK_ANSWERS_STAT, answers)

    def parse_file(self, response: Response):
        yield self.document(response)

    def parse_paste_page(self, response: Response):
        yield paste_page_document(self, response)

    def parse_telegram_message(self, response: Response):
        from .telegram import telegram_message_document

        yield telegram_message_document(self, response)

    def parse_warc_record(self, response: Response):
        from .commoncrawl import warc_record_document

        document = warc_record_document(self, response)
        if document is not None:
            yield document
