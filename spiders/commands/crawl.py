"""``scrapy crawl``, with a LeaktrackError (an unknown source, an unset token variable, a query
holding a dataset value, an output that would write downloaded text) said in one line and exit
status 2, as leaktrack's own commands do, instead of Scrapy's traceback of the failed start.

Replaces Scrapy's ``crawl`` command through ``COMMANDS_MODULE`` (spiders/settings.py).
"""

from __future__ import annotations

import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ...errors import LeaktrackError

USER_ERROR_EXIT = 2
logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl SPIDER -a source=NAME")
        assert self.crawler_process
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        if hasattr(started, "addErrback"):  # a Deferred (Twisted's CrawlerProcess)
            started.addErrback(self.said_in_one_line)
        else:  # an asyncio Task (Scrapy's asyncio-only CrawlerProcess)
            started.add_done_callback(self.task_done)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed and not self.exitcode:
            self.exitcode = 1

    def said_in_one_line(self, failure):
        if not failure.check(LeaktrackError):
            return failure  # a bug: Scrapy logs its traceback
        self.say(failure.value)
        return None

    def task_done(self, task) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()  # retrieved: asyncio no longer logs it, so a bug is logged here
        if isinstance(error, LeaktrackError):
            self.say(error)
        else:
            logger.error("the crawl failed to start", exc_info=error)

    def say(self, error: BaseException) -> None:
        print(f"error: {error}", file=sys.stderr)
        self.exitcode = USER_ERROR_EXIT
