"""Scrapy settings of every leaktrack crawl, and leaktrack's own crawl defaults, documented once.

``leaktrack sweep`` and ``scrapy crawl paste -a source=NAME -s LEAKTRACK_SOURCES=sources.toml``
both use this module (``scrapy.cfg`` points at it), so a crawl behaves the same either way.
Per-run overrides go on top (``run_sweep(settings=...)``, ``scrapy crawl -s NAME=VALUE``).

Politeness and safety by default: robots.txt obeyed, two requests at a time per domain,
AutoThrottle, an identifying User-Agent with a contact, size limits, short timeouts, a few
retries with exponential backoff, and no private/loopback addresses.
"""

from __future__ import annotations

import os

from scrapy.settings import default_settings as scrapy_defaults

from .outputs import EXPORT_FIELDS

BOT_NAME = "leaktrack"
SPIDER_MODULES = [
    "leaktrack.spiders.paste",
    "leaktrack.spiders.mirror",
    "leaktrack.spiders.urls",
    "leaktrack.spiders.feed",
    "leaktrack.spiders.wayback",
    "leaktrack.spiders.commoncrawl",
    "leaktrack.spiders.telegram",
    "leaktrack.spiders.github",
    "leaktrack.spiders.paste_api",
    "leaktrack.spiders.gitlab",
    "leaktrack.spiders.search",
]

# --- leaktrack's own settings (read by our spiders, middlewares and pipelines) -------------

# Where a site owner can reach the people running the crawl; part of the User-Agent.
# Override with `contact = "..."` in the sources file.
LEAKTRACK_CONTACT = "set `contact` in the sources file"
# Sources file for `scrapy crawl SPIDER -a source=NAME` (leaktrack sweep passes sources itself).
LEAKTRACK_SOURCES = None
# Fingerprint file, key and store: every leaktrack run sets them from its Workspace (resolved by
# the CLI); with `scrapy crawl`, give them with -s NAME=VALUE.
LEAKTRACK_FINGERPRINTS = None
LEAKTRACK_KEY_FILE = None
LEAKTRACK_STORE = None
# Crawl state (seen URLs, hashes, validators): the Workspace's crawl_state, set by every run.
LEAKTRACK_STATE = None
# Refuse private, loopback, link-local and reserved addresses: a public sweep has no business
# there, and a paste linking to http://127.0.0.1/ must not turn the crawler against its host.
LEAKTRACK_ALLOW_PRIVATE_NETWORKS = False
# DNS servers ("host:port") to resolve names with instead of the system resolver; every answer
# still goes through the guard (guard.GuardedResolver). Empty: the system resolver.
LEAKTRACK_DNS_SERVERS: list[str] = []
# Keep a copy of each matching document (owner-only, in LEAKTRACK_EVIDENCE_DIR). Off: it is personal data.
LEAKTRACK_KEEP_EVIDENCE = False
# Where evidence copies, reports and WARC captures go (spiders/evidence.py): the Workspace's
# evidence_dir, set by every run.
LEAKTRACK_EVIDENCE_DIR = None
# Scan downloads (off only for the crawl benchmark's baseline).
LEAKTRACK_SCAN = True

# Other cases to scan every document for, besides the sweep's own (sweep --all-cases): JSON,
# made by spiders/cases.py's lanes_to_setting. Empty: only the sweep's own case.
LEAKTRACK_OTHER_CASES = ""
# Worker processes that scan while the crawl downloads (0: scan inline, in the crawl's thread).
# One less than the cores, so the crawl keeps one; at least one.
LEAKTRACK_SCAN_WORKERS = max(1, (os.cpu_count() or 2) - 1)
# Skip already-seen pastes and send conditional requests for known files.
LEAKTRACK_INCREMENTAL = True
# Retry backoff: the n-th retry of a request waits BASE * 2**(n-1) seconds, at most MAX.
LEAKTRACK_RETRY_BACKOFF_BASE = 2.0
LEAKTRACK_RETRY_BACKOFF_MAX = 60.0
# The longest wait a Retry-After header (429/503 answers) may impose before a retry; a longer
# one is cut to this (and a source answering 429 to the end is a dark source, see health.py).
LEAKTRACK_RETRY_AFTER_MAX = 300.0
# Wayback Machine (spiders/wayback.py): CDX rows asked for per page (``limit``), then resumeKey.
LEAKTRACK_WAYBACK_PAGE_ROWS = 500
# Common Crawl (spiders/commoncrawl.py): how many of the newest crawls a source without
# ``collections`` asks (each crawl is a month or so of the web, read once per URL or prefix).
LEAKTRACK_COMMONCRAWL_CRAWLS = 1
# Telegram (spiders/telegram.py): preview pages (about 20 messages each) read back per channel
# per sweep, at most; a first sweep without ``since`` stops there.
LEAKTRACK_TELEGRAM_MAX_PAGES = 50
# Mirror crawls stop at this link depth unless the source sets max_depth.
LEAKTRACK_DEFAULT_MAX_DEPTH = 3
# File name endings a mirror spider downloads as documents, with conditional requests on later
# sweeps. Other links are pages: followed for links (to max_depth) and scanned unless listings.
LEAKTRACK_DOCUMENT_EXTENSIONS = (
    ".csv",
    ".tsv",
    ".txt",
    ".json",
    ".jsonl",
    ".ndjson",
    ".xlsx",
    ".zip",
    ".gz",
    ".md",
    ".dat",
    ".log",
    ".sql",
    ".xml",
    # read by fingerprints/formats (docs/formats.md):
    ".pdf",
    ".docx",
    ".odt",
    ".ods",
    ".xls",
    ".7z",
    ".tar",
    ".tgz",
    ".bz2",
    ".xz",
    ".eml",
    ".mbox",
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
)
# Recheck: a short page (at most this many visible characters) that says one of these is a
# removal notice, i.e. the copy is gone. Longer pages are never judged by their wording.
LEAKTRACK_REMOVAL_PAGE_MAX_CHARS = 2000
LEAKTRACK_REMOVAL_PHRASES = (
    r"\b(removed|deleted|taken down|no longer available|not found|does not exist|doesn't exist"
    r"|has expired|is private|was reported|suspended)\b"
)
# API kinds (github, gitlab, paste_api, search; see ratelimit.py and api_base.py):
# the longest wait for an API's rate-limit window to reset before the source gives up for this
# sweep (GitHub's primary window is an hour; a sweep that waits longer is better run again later),
# the first wait after a refusal that says no time (GitHub: "wait at least one minute"), doubled
# at each further refusal, and how many refusals of one request are waited out.
LEAKTRACK_API_MAX_WAIT = 900.0
LEAKTRACK_API_SECONDARY_WAIT = 60.0
LEAKTRACK_API_RATE_LIMIT_RETRIES = 3
# Pages read per query or listing of an API source, unless the source sets max_pages.
LEAKTRACK_API_MAX_PAGES = 10
# How often (seconds) a running crawl reports its counts to the parent process.
LEAKTRACK_PROGRESS_INTERVAL = 0.5
# Distributed sweeps (spiders/distributed.py): a worker whose heartbeat in Redis is older than
# this (seconds) counts as dead, and the requests it had taken go back to the queue. Longer
# than any pause of a loaded worker's event loop; a dead worker's work waits this long.
LEAKTRACK_REDIS_WORKER_TTL = 30.0
# Requests a worker pops (and claims) from the shared queue per round trip to Redis. More saves
# round trips; fewer leaves more for the other workers when the queue runs low.
LEAKTRACK_REDIS_POP_BATCH = 4
# Requests a worker holds claimed at most (fetching, waiting to be scanned, in the pipelines):
# it takes more only as it finishes some. Without a bound, a worker takes as many as its
# downloader and Scrapy's scraper queue hold (CONCURRENT_REQUESTS, then up to
# SCRAPER_SLOT_MAX_ACTIVE_SIZE, 5 MB of responses: a thousand pastes), fetched far faster
# than it scans them, while a worker started a second later finds the queue empty.
LEAKTRACK_REDIS_MAX_CLAIMS = 16
# Log each crawl's counts and errors as one JSON line at its end (crawl.CrawlReport): set for
# the jobs sweep --scrapyd schedules, which reads them back from Scrapyd's logs.
LEAKTRACK_CRAWL_REPORT = False
# Error messages kept per source in a sweep's summary (the counts are always complete).
LEAKTRACK_MAX_ERROR_MESSAGES = 50

# --- Scrapy settings -----------------------------------------------------------------------

USER_AGENT_TEMPLATE = "leaktrack/0.1 (+personal-data leak takedown crawler; contact: {contact})"
USER_AGENT = USER_AGENT_TEMPLATE.format(contact=LEAKTRACK_CONTACT)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Items of one response processed in parallel. Scrapy starts this many asyncio tasks for every
# response's output whatever it holds (its default, 100, was a third of a crawl worker's CPU:
# 100 tasks a page, measured by bench/crawl.py); our callbacks yield one document or a few.
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Pastes and leak files are small; 50 MB matches the scanner's input limit.
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 10
# The private-address guard, where the connection is made (see guard.py). Not cached: a name
# is judged on the answer each connection uses.
TWISTED_DNS_RESOLVER = "leaktrack.spiders.guard.GuardedResolver"
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
# No consoles: a sweep runs unattended and must not open ports of its own.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Scrapy's cookies middleware: loaded only for a run that turns cookies on (crawl.job_settings).
COOKIES_MIDDLEWARE = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
# Scrapy's own components that the settings above switch off, left out of its lists: Scrapy
# imports every component it is given to order them (one set to None too); these imports cost
# a crawl ~0.15 s of CPU at start-up, of ~1.2 s (aiohttp for the remote control; tldextract and
# requests for cookies).
SWITCHED_OFF = {
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    COOKIES_MIDDLEWARE,
}
# Scrapy's extensions, without SWITCHED_OFF.
EXTENSIONS_BASE = {
    path: order for path, order in scrapy_defaults.EXTENSIONS_BASE.items() if path not in SWITCHED_OFF
}
# Scrapy's downloader middlewares, without SWITCHED_OFF.
DOWNLOADER_MIDDLEWARES_BASE = {
    path: order
    for path, order in scrapy_defaults.DOWNLOADER_MIDDLEWARES_BASE.items()
    if path not in SWITCHED_OFF
}
LOG_LEVEL = "INFO"
# A dropped document is logged as its reason and URL, never as the item's repr.
LOG_FORMATTER = "leaktrack.spiders.pipelines.OneLineLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    # Runs first, before robots.txt is fetched, so a refused host gets no request at all.
    "leaktrack.spiders.middlewares.PrivateAddressGuard": 40,
    "leaktrack.spiders.middlewares.IncrementalFetch": 45,
    # Below RetryMiddleware (550): sees only final outcomes, not every retried attempt.
    "leaktrack.spiders.middlewares.OutcomeTally": 60,
    "leaktrack.spiders.middlewares.RetryBackoff": 560,
    # Above RetryMiddleware (550): a rate-limit refusal is waited out before Scrapy's retry sees it.
    "leaktrack.spiders.ratelimit.ApiRateLimit": 570,
    # Above RedirectMiddleware (600): API tokens go on as a request is sent and come off before
    # a redirect or retry copies it (spiders/api_base.py).
    "leaktrack.spiders.api_base.ApiAuthorization": 650,
}
# Scrapy's own outputs carry no downloaded text (spiders/outputs.py): `scrapy crawl -O file`
# exports these item fields (not the body or the scan), and the HTTP cache stays off; the
# guard refuses a crawl whose settings would write bodies anyway.
FEED_EXPORT_FIELDS = EXPORT_FIELDS
# `scrapy crawl` reads the sources' tokens from the environment (the run's edge) and says a
# user's error (LeaktrackError) in one line, as leaktrack's commands do.
COMMANDS_MODULE = "leaktrack.cli.scrapy_commands"
HTTPCACHE_ENABLED = False
EXTENSIONS = {
    "leaktrack.spiders.outputs.OutputsGuard": 0,
    # scrapy crawl and Scrapyd jobs: logs without dataset values, and the report sweep --scrapyd reads
    "leaktrack.spiders.crawl.LogsWithoutDatasetValues": 1,
    "leaktrack.spiders.crawl.CrawlReport": 900,
    # a document whose pipeline raised (a bug) is an error of the sweep, not a quiet zero
    "leaktrack.spiders.crawl.PipelineFailures": 10,
}

ITEM_PIPELINES = {
    "leaktrack.spiders.pipelines.ScanPipeline": 300,
    "leaktrack.spiders.evidence.EvidencePipeline": 350,  # what matched, and the WARC capture (desk)
    "leaktrack.spiders.pipelines.StorePipeline": 400,
    "leaktrack.spiders.cases.OtherCasesPipeline": 450,  # sweep --all-cases (off otherwise)
}

# Settings for crawling our own sites on 127.0.0.1 (demo, tests, benchmark): no politeness
# delays are needed against a server we started, and failures should surface quickly.
LOCAL_SITE_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 1,
    "LEAKTRACK_RETRY_BACKOFF_BASE": 0.1,
    "LOG_LEVEL": "WARNING",
}
