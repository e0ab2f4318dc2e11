"""A crawl's start-up: Scrapy's components that our settings switch off are not even imported
(Scrapy imports every component it is given to order them), and cookies come back on demand."""

from __future__ import annotations

import subprocess
import sys

from scrapy.settings import Settings

from leaktrack.spiders.crawl import CrawlJob, crawl_settings, job_settings
from leaktrack.spiders.settings import COOKIES_MIDDLEWARE

# Builds a crawler and its engine (downloader, middlewares, extensions, pipelines) as a sweep
# does, then says which of the switched-off components' imports happened.
ENGINE_BUILT = """
import sys
from scrapy.crawler import CrawlerProcess
from leaktrack.spiders.crawl import CrawlJob, crawl_settings
from leaktrack.spiders.paste import PasteSpider
from leaktrack.spiders.sources import Source
folder = sys.argv[1]
job = CrawlJob(sources=[], fingerprints_path="", key_file=None, store_url=f"sqlite:///{folder}/m.db",
               state_path=f"{folder}/state.db", evidence_dir=folder, settings={"LEAKTRACK_SCAN": False})
settings = crawl_settings(job)
process = CrawlerProcess(settings)
crawler = process.create_crawler(PasteSpider)
crawler._apply_settings()
crawler.spider = crawler._create_spider(source=Source(name="s", kind="paste", start_urls=["http://x/"]))
crawler.engine = crawler._create_engine()
print(sorted(name for name in ("aiohttp", "tldextract") if name in sys.modules))
"""


def job(**settings) -> CrawlJob:
    return CrawlJob(
        sources=[],
        fingerprints_path="",
        key_file=None,
        store_url="",
        state_path="",
        evidence_dir="",
        settings=settings,
    )


def test_a_crawl_imports_neither_the_remote_control_nor_the_cookies_middleware(tmp_path):
    built = subprocess.run(
        [sys.executable, "-c", ENGINE_BUILT, str(tmp_path)], capture_output=True, text=True
    )

    assert built.returncode == 0, built.stderr[-2000:]
    assert built.stdout.strip().splitlines()[-1] == "[]"


def test_cookies_switched_on_for_a_run_bring_their_middleware_back():
    assert COOKIES_MIDDLEWARE not in crawl_settings(job()).getdict("DOWNLOADER_MIDDLEWARES_BASE")

    on = crawl_settings(job(COOKIES_ENABLED=True))

    assert COOKIES_MIDDLEWARE in on.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert on.getbool("COOKIES_ENABLED")


def test_a_scrapyd_jobs_settings_bring_cookies_back_too():
    defaults = Settings()
    defaults.setmodule("leaktrack.spiders.settings", priority="project")

    overrides = job_settings(job(COOKIES_ENABLED="true"), defaults)

    assert COOKIES_MIDDLEWARE in overrides["DOWNLOADER_MIDDLEWARES_BASE"]
