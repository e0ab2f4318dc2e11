"""``scrapy crawl`` as Scrapy's, with two differences, through ``COMMANDS_MODULE``
(spiders/settings.py):

- The tokens of the sources file's API sources are read from the environment variables their
  ``token_env`` names (``workspace.source_secrets``, as ``leaktrack sweep`` reads them), and so
  is the token of a source given whole as JSON (a Scrapyd job of ``sweep --scrapyd``: its
  host's environment holds it), and handed to the spider as its ``secrets``: never a setting or
  a ``-a`` argument, which Scrapy and Scrapyd log.
- A LeaktrackError (an unknown source, an unset token variable, a query holding a dataset value,
  an output that would write downloaded text) is said in one line with exit status 2, as
  leaktrack's own commands do, instead of Scrapy's traceback of the failed start; for a source
  given whole, also as its report line in the log (``crawl.log_crawl_report``), so that
  ``sweep --scrapyd`` records it as the source's error.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import cast

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ...credentials import Secrets
from ...errors import LeaktrackError, SourcesError

USER_ERROR_EXIT = 2
logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl SPIDER -a source=NAME")
        assert self.crawler_process
        self.source_name = given_source_name(opts.spargs.get("source"))
        try:
            arguments = {**opts.spargs, "secrets": self.tokens(opts.spargs)}
        except LeaktrackError as error:
            self.say(error)
            return
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **arguments)
        if hasattr(started, "addErrback"):  # a Deferred (Twisted's CrawlerProcess)
            started.addErrback(self.said_in_one_line)
        else:  # an asyncio Task (Scrapy's asyncio-only CrawlerProcess)
            cast(asyncio.Future, started).add_done_callback(self.task_done)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed and not self.exitcode:
            self.exitcode = 1

    def tokens(self, spider_arguments: dict) -> Secrets:
        """The tokens the sources file names, or the token of the source given whole (a Scrapyd
        job's), from this process's environment."""
        from ..workspace import given_source_secrets, source_secrets

        if "secrets" in spider_arguments:
            raise SourcesError("secrets are never spider arguments (-a): set the variable token_env names")
        sources_file = self.settings.get("LEAKTRACK_SOURCES") if self.settings else None
        named = source_secrets(sources_file) if sources_file else {}
        return Secrets({**named, **given_source_secrets(spider_arguments.get("source"))})

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
        source = getattr(self, "source_name", None)
        if source:  # a source given whole, as a Scrapyd job's: sweep --scrapyd reads this line
            from ...spiders.crawl import log_crawl_report

            log_crawl_report(source, {"errors": 1}, [str(error)])


def given_source_name(source) -> str | None:
    """The name of a source given whole as JSON (``-a source=<JSON>``), else None: named as the
    sources file names one (``sources.source_name_of``), even when the rest of it is invalid, so
    the one-line report of its error names it."""
    import json

    from ...spiders.sources import is_source_json, source_name_of

    if not is_source_json(source):
        return None
    try:
        given = json.loads(source)
    except ValueError:
        return None
    return source_name_of(given) if isinstance(given, dict) else None
