"""Known URLs: fetch exactly these (known copies, raw files, gists). Also used by ``recheck``."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from .base import SourceSpider

# Answers that mean "the copy is gone"; a recheck must see them instead of an error.
GONE_STATUSES = (404, 410)


class UrlsSpider(SourceSpider):
    name = "urls"
    kind = "urls"

    def __init__(self, *args: Any, recheck: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.recheck = recheck

    async def start(self):
        for url in self.source.urls:
            # document_url: a copy is reported (and rechecked) under the URL we were given,
            # even when it redirects.
            if self.recheck:
                yield self.request(
                    url,
                    self.parse_file,
                    document_url=url,
                    handle_httpstatus_list=list(GONE_STATUSES),
                    dont_filter=True,
                )
            else:
                yield self.request(
                    url,
                    self.parse_file,
                    incremental="conditional",
                    document_url=url,
                    handle_httpstatus_list=[304],
                )

    def parse_file(self, response: Response):
        yield self.document(response)
