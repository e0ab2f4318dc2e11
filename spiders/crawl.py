"""Run one crawl (a sweep or a recheck) in this process, and the child-process entry point.

Twisted's reactor cannot be restarted inside one process, so ``run_sweep`` and ``recheck``
start every crawl as a child process (``python -m leaktrack.spiders.crawl``) and read its
progress as JSON lines. That lets ``watch``, the tests and the benchmark run many crawls from
one process, and isolates a crawl that crashes. The child reads a ``CrawlJob`` (JSON) on stdin,
writes ``{"event": "progress", ...}`` lines while crawling and one ``{"event": "done", ...}``
(or ``{"event": "error", ...}`` for a LeaktrackError) at the end, on its original stdout.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import import_module

from ..credentials import Secrets
from ..errors import LeaktrackError
from .api_sources import has_query_texts, refuse_dataset_values_in_queries
from .distributed import distributed_settings, expire_job_keys, remember_credentials
from .health import ERROR_KIND_STAT
from .outputs import refuse_personal_data_outputs
from .scanning import close_shared_scanners
from .sources import Source

SPIDERS = {
    "paste": "leaktrack.spiders.paste.PasteSpider",
    "mirror": "leaktrack.spiders.mirror.MirrorSpider",
    "urls": "leaktrack.spiders.urls.UrlsSpider",
    "feed": "leaktrack.spiders.feed.FeedSpider",
    "wayback": "leaktrack.spiders.wayback.WaybackSpider",
    "github": "leaktrack.spiders.github.GitHubSpider",
    "paste_api": "leaktrack.spiders.paste_api.PasteApiSpider",
    "commoncrawl": "leaktrack.spiders.commoncrawl.CommonCrawlSpider",
    "gitlab": "leaktrack.spiders.gitlab.GitLabSpider",
    "search": "leaktrack.spiders.search.SearchSpider",
    "telegram": "leaktrack.spiders.telegram.TelegramSpider",
}
RECHECK_PIPELINES = {
    "leaktrack.spiders.pipelines.ScanPipeline": 300,
    "leaktrack.spiders.pipelines.RecheckPipeline": 400,
    "leaktrack.spiders.pipelines.StorePipeline": None,
}
COUNTERS = (
    "requests",
    "pages",
    "documents",
    "matches",
    "unchanged",
    "known_clean",  # images and PDFs scanned clean before at another URL or sweep: not read again
    "skipped_seen",
    "refused_private",
    "errors",
    "empty_listings",
    "rate_limit_waits",  # API kinds: refusals for rate limiting waited out (ratelimit.py)
)


@dataclass
class CrawlJob:
    """Everything a crawl needs, as plain data (it crosses into the child process as JSON)."""

    sources: list[Source]
    fingerprints_path: str
    key_file: str | None
    store_url: str
    state_path: str
    evidence_dir: str
    allow_private_networks: bool = False
    contact: str | None = None
    keep_evidence: bool = False
    recheck: bool = False
    # recheck: per copy, its reported url, the content_url the sweep fetched and its extraction
    recheck_targets: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    redis_url: str | None = None  # distributed sweep (see distributed.py)
    redis_job: str | None = None
    # Named secrets (environment variable name -> value) resolved by the CLI, for the sources'
    # token_env: they reach the spiders as an argument, never Scrapy settings (which Scrapy logs).
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        data = json.loads(text)
        data["sources"] = [Source.from_dict(source) for source in data["sources"]]
        return cls(**data)


@dataclass
class CrawlOutcome:
    """Counts and error messages per source; for a recheck, what each URL answered."""

    per_source: dict[str, dict[str, int]]
    errors: dict[str, list[str]]
    recheck_answers: list[dict] = field(default_factory=list)


def crawl_settings(job: CrawlJob):
    """The settings module, then the job's files and options, then per-run overrides."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("leaktrack.spiders.settings", priority="project")
    settings.setdict(job_settings(job, settings), priority="cmdline")
    return settings


def job_settings(job: CrawlJob, defaults) -> dict:
    """What a job sets over the settings module (``defaults``): its files, options, the
    distributed queue, then the per-run overrides. Also what a Scrapyd job is scheduled with."""
    contact = job.contact or defaults.get("LEAKTRACK_CONTACT")
    overrides = {
        "USER_AGENT": defaults.get("USER_AGENT_TEMPLATE").format(contact=contact),
        "LEAKTRACK_FINGERPRINTS": job.fingerprints_path,
        "LEAKTRACK_KEY_FILE": job.key_file,
        "LEAKTRACK_STORE": job.store_url,
        "LEAKTRACK_STATE": job.state_path,
        "LEAKTRACK_ALLOW_PRIVATE_NETWORKS": job.allow_private_networks,
        "LEAKTRACK_KEEP_EVIDENCE": job.keep_evidence,
        "LEAKTRACK_EVIDENCE_DIR": job.evidence_dir,
    }
    if job.recheck:
        overrides |= {"LEAKTRACK_INCREMENTAL": False, "ITEM_PIPELINES": RECHECK_PIPELINES}
    if job.redis_url:
        overrides |= distributed_settings(job.redis_url, job.redis_job)
    return overrides | job.settings | cookie_middleware(job.settings, defaults)


def cookie_middleware(overrides: dict, defaults) -> dict:
    """Scrapy's cookies middleware back among the downloader's (settings.SWITCHED_OFF) for a run
    that turns cookies on."""
    from scrapy.settings import Settings

    if not Settings({"COOKIES_ENABLED": overrides.get("COOKIES_ENABLED", False)}).getbool("COOKIES_ENABLED"):
        return {}
    from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE

    middleware = defaults.get("COOKIES_MIDDLEWARE")
    base = dict(defaults.getdict("DOWNLOADER_MIDDLEWARES_BASE"))
    return {"DOWNLOADER_MIDDLEWARES_BASE": {**base, middleware: DOWNLOADER_MIDDLEWARES_BASE[middleware]}}


def run_crawl(
    job: CrawlJob, on_progress: Callable[[dict[str, dict[str, int]]], None] | None = None
) -> CrawlOutcome:
    """Crawl every source of the job at once, in this process (once per process: see above)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object

    if job.redis_url:  # the scheduler's client finds them here, not in the settings
        remember_credentials(job.redis_url)
    settings = crawl_settings(job)
    # Our crawls name their spider classes (SPIDERS): Scrapy's spider loader need not import
    # every spider module first (``scrapy crawl`` still finds them through SPIDER_MODULES).
    settings.set("SPIDER_MODULES", [], priority="cmdline")
    process = CrawlerProcess(settings)
    quiet_network_tracebacks()
    if settings.getbool("LEAKTRACK_SCAN"):
        withhold_dataset_values_in_logs(
            settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE")
        )
    crawlers = {}
    for source in job.sources:  # one crawler per source, all in one reactor
        crawler = process.create_crawler(load_object(SPIDERS[source.kind]))
        recheck = {"recheck": True, "recheck_targets": job.recheck_targets} if job.recheck else {}
        # Every spider gets the secrets (API tokens; its pipelines the store's credentials).
        process.crawl(crawler, source=source, secrets=Secrets(job.secrets), **recheck)
        crawlers[source.name] = crawler
    if on_progress:
        _report_periodically(crawlers, on_progress, settings.getfloat("LEAKTRACK_PROGRESS_INTERVAL"))
    try:
        process.start()
    finally:
        close_shared_scanners()
        if job.redis_url and job.redis_job:  # a distributed crawl always has its job's name
            expire_job_keys(job.redis_url, job.redis_job)
    outcome = outcome_of(crawlers)
    if settings.getbool("LEAKTRACK_SCAN"):
        withhold_dataset_values_in_errors(
            outcome, settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE")
        )
    return outcome


def withhold_dataset_values_in_errors(outcome: CrawlOutcome, fingerprints_path: str, key_file: str) -> None:
    """The error messages a sweep keeps in its record and prints in its summary ("HTTP 404 from
    <url>", redirects, timeouts) with the URL parts and names quoting a dataset value withheld,
    as in the log (``fingerprints.stored_text``)."""
    from ..fingerprints.stored_text import withhold_dataset_values
    from .scanning import load_fingerprints

    fingerprints = load_fingerprints(fingerprints_path, key_file)
    outcome.errors = {
        name: [withhold_dataset_values(message, fingerprints) for message in messages]
        for name, messages in outcome.errors.items()
    }


# Scrapy loggers that log a failed download with its traceback (robots.txt, the engine).
TRACEBACK_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.engine", "scrapy.core.scraper")
# Exception class names of network failures: a host that does not resolve or answer is an
# operational fact (one line in the log and in the sweep's summary), not a bug to trace.
NETWORK_FAILURES = {
    "DNSLookupError",
    "CannotResolveHostError",
    "ConnectionRefusedError",
    "ConnectError",
    "DownloadConnectionRefusedError",
    "TimeoutError",
    "TCPTimedOutError",
    "DownloadTimeoutError",
    "ConnectionLost",
    "ResponseNeverReceived",
    "ResponseDataLossError",
    "DownloadFailedError",
}


class NetworkTracebackFilter(logging.Filter):
    """Drops the traceback (keeps the line) of a log record about a network failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None and type(exc_info[1]).__name__ in NETWORK_FAILURES:
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_network_tracebacks() -> None:
    for name in TRACEBACK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, NetworkTracebackFilter) for existing in logger.filters):
            logger.addFilter(NetworkTracebackFilter())


def withhold_dataset_values_in_logs(fingerprints_path: str, key_file: str) -> None:
    """Every log record of this (crawl) process that a handler takes, Scrapy's own included
    ("Crawled (200) <GET …>", "Ignoring response <404 …>"), is made with the URL parts and names
    that quote a rare dataset value withheld (``fingerprints.stored_text``), the way the store
    withholds titles.

    Done in the log record factory, not in a handler's filter: Scrapy replaces its root handler
    when each crawler starts, and a logger's filter misses the records of its children."""
    from ..fingerprints.stored_text import withhold_names_in_text
    from .scanning import load_fingerprints

    fingerprints = load_fingerprints(fingerprints_path, key_file)
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "withholds_dataset_values", False):
        return

    def record_without_dataset_values(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if not any_handler_takes(record):  # never formatted nor read: nothing to withhold
            return record
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it itself
            return record
        kept = withhold_names_in_text(message, fingerprints)
        if kept != message:
            record.msg, record.args = kept, None
        return record

    record_without_dataset_values.withholds_dataset_values = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_without_dataset_values)


def any_handler_takes(record: logging.LogRecord) -> bool:
    """Whether a handler on the record's way up the loggers takes its level (or there is none,
    and logging's last resort may print it). Scrapy leaves the root logger at NOTSET and drops
    what is below LOG_LEVEL in its handler, so every DEBUG record of a crawl is made ("Crawled
    (200) <GET ...>", "Scraped from ..." with the item): withholding one that no handler takes
    would cost a regex pass over its message (~0.3 ms a record) for nothing."""
    logger: logging.Logger | None = logging.getLogger(record.name)  # ("root": the root logger)
    handlers_seen = False
    while logger is not None:
        for handler in logger.handlers:
            handlers_seen = True
            if record.levelno >= handler.level:
                return True
        logger = logger.parent if logger.propagate else None
    return not handlers_seen


def outcome_of(crawlers: dict) -> CrawlOutcome:
    """What the finished crawlers (source name -> crawler) counted and noted."""

    def noted(crawler, key: str) -> list:
        return list(crawler.stats.get_value(key) or [])

    return CrawlOutcome(
        per_source={name: counts_of(crawler) for name, crawler in crawlers.items()},
        errors={name: noted(crawler, "leaktrack/error_messages") for name, crawler in crawlers.items()},
        recheck_answers=[
            answer for crawler in crawlers.values() for answer in noted(crawler, "leaktrack/recheck_answers")
        ],
    )


def counts_of(crawler) -> dict[str, int]:
    stats = crawler.stats
    counts = {name: int(stats.get_value(f"leaktrack/{name}") or 0) for name in COUNTERS}
    # Exceptions raised in spider callbacks and pipelines are errors too, with tracebacks in the log.
    spider_exceptions = int(stats.get_value("spider_exceptions/count") or 0)
    counts["errors"] += spider_exceptions
    if spider_exceptions:
        counts["errors_spider_exception"] = spider_exceptions
    for key, value in stats.get_stats().items():  # errors by kind (see health.error_kind)
        if key.startswith(ERROR_KIND_STAT):
            counts["errors_" + key.removeprefix(ERROR_KIND_STAT)] = int(value)
    return counts


REPORT_MARK = "leaktrack-report "


class CrawlReport:
    """Logs one line at the end of a crawl run by ``scrapy crawl`` (a Scrapyd job): the
    source's counts and error messages as JSON after ``REPORT_MARK``, which ``sweep --scrapyd``
    reads from the job's log to record the sweep like a local one. Error messages are withheld
    like the log (``withhold_dataset_values_in_errors``). Off unless LEAKTRACK_CRAWL_REPORT."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("LEAKTRACK_CRAWL_REPORT"):
            raise NotConfigured
        report = cls(crawler)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_closed(self, spider=None, reason: str = "") -> None:
        source = self.crawler.spider.source.name
        outcome = outcome_of({source: self.crawler})
        settings = self.crawler.settings
        if settings.getbool("LEAKTRACK_SCAN"):
            withhold_dataset_values_in_errors(
                outcome, settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE")
            )
        log_crawl_report(source, outcome.per_source[source], outcome.errors[source])


def log_crawl_report(source: str, counts: dict[str, int], errors: list[str]) -> None:
    """The line ``sweep --scrapyd`` reads from a job's log (``CrawlReport``): also written by a
    ``scrapy crawl`` that could not start (``cli/scrapy_commands``), with its one error."""
    report = {"source": source, "counts": counts, "errors": errors}
    logging.getLogger(__name__).warning(REPORT_MARK + json.dumps(report, sort_keys=True))


class LogsWithoutDatasetValues:
    """``withhold_dataset_values_in_logs`` for crawls started by ``scrapy crawl`` (Scrapyd jobs),
    as ``run_crawl`` does for leaktrack's own."""

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        if settings.getbool("LEAKTRACK_SCAN") and settings.get("LEAKTRACK_FINGERPRINTS"):
            withhold_dataset_values_in_logs(
                settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE")
            )
        raise NotConfigured  # nothing to keep running: the log record factory is installed


class PipelineFailures:
    """Counts a document whose item pipeline raised something other than DropItem (a bug in the
    scanner or the store, or a broken install): Scrapy logs the traceback and goes on without the
    document, so without this the sweep would report a quiet zero, as if nothing had been found."""

    def __init__(self, crawler):
        from scrapy import signals

        self.stats = crawler.stats
        self.limit = crawler.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def item_error(self, item, response, spider, failure) -> None:
        from .middlewares import record_error

        url = getattr(item, "url", None) or getattr(response, "url", "?")
        name = type(failure.value).__name__
        record_error(
            self.stats,
            f"not scanned or stored: {url}: {name} (a bug: traceback in the log)",
            self.limit,
            "pipeline",
        )


def _report_periodically(crawlers: dict, on_progress: Callable, interval: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import LoopingCall

    loop = LoopingCall(lambda: on_progress({name: counts_of(crawler) for name, crawler in crawlers.items()}))
    reactor.callWhenRunning(loop.start, interval, now=False)


def child_main(argv: list[str]) -> int:
    die_with_parent(_parent_pid(argv))
    # The parent held SIGINT/SIGTERM back while it spawned us, and the mask is inherited.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))
    # Our channel to the parent is the original stdout; anything else printing to stdout
    # (a library, a stray print) goes to stderr instead of corrupting the channel.
    channel = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)

    def send(event: dict) -> None:
        try:
            channel.write(json.dumps(event, default=str) + "\n")
        except (BrokenPipeError, ValueError):  # the parent is gone (killed): nobody to tell
            pass

    text = sys.stdin.read()
    if not text.strip():  # the parent was stopped before it sent the job: nothing to do
        return 2
    job = CrawlJob.from_json(text)
    # scrapy-redis 0.9 still passes spider= to the stats collector; harmless, not for our logs.
    warnings.filterwarnings("ignore", message=".*'spider' argument.*", module="scrapy_redis")
    try:
        preflight(job)
        outcome = run_crawl(job, on_progress=lambda counts: send({"event": "progress", "per_source": counts}))
    except LeaktrackError as error:
        send({"event": "error", "type": type(error).__name__, "message": str(error)})
        return 2
    send({"event": "done", **asdict(outcome)})
    return 0


def preflight(job: CrawlJob) -> None:
    """Fail early with one clear line when the fingerprints or the store cannot be opened, and
    name the -s settings nobody reads (here, in the crawl process, which imports Scrapy anyway:
    the sweep command itself does not)."""
    from ..index import open_store
    from .scanning import load_fingerprints

    for warning in unknown_settings(job.settings):
        logging.getLogger(__name__).warning(warning)
    check_setting_values(job.settings)
    refuse_personal_data_outputs(crawl_settings(job))
    fingerprints = None
    if crawl_settings(job).getbool("LEAKTRACK_SCAN") or has_query_texts(job.sources):
        fingerprints = load_fingerprints(job.fingerprints_path, job.key_file)
    if fingerprints is not None and not job.recheck:  # no dataset value goes to a search API
        refuse_dataset_values_in_queries(job.sources, fingerprints)
    if not job.recheck:
        with open_store(job.store_url, secrets=job.secrets) as store:
            if fingerprints is not None:  # matches of another leak's fingerprints: refuse before crawling
                store.refuse_other_dataset(fingerprints.dataset_id)
    if job.redis_url:
        distributed_settings(job.redis_url, job.redis_job)  # validates the URL and job name


def unknown_settings(overrides: dict) -> list[str]:
    """Warnings for -s names that neither Scrapy nor leaktrack knows (a typo is otherwise
    silently ignored), each with the closest known name when there is one."""
    import difflib

    from scrapy.settings import Settings

    known = set(Settings().attributes)
    known.update(name for name in dir(import_module("leaktrack.spiders.settings")) if name.isupper())
    warnings_found = []
    for name in overrides:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings_found.append(f"unknown setting {name} (neither Scrapy nor leaktrack reads it){hint}")
    return warnings_found


def check_setting_values(overrides: dict) -> None:
    """A -s value that cannot be read as its setting's type (DOWNLOAD_DELAY=abc) is the user's
    error: left alone, it fails inside Scrapy's start-up and the crawl does nothing, silently."""
    from scrapy.settings import Settings

    defaults = Settings()
    defaults.setmodule("leaktrack.spiders.settings", priority="project")
    for name, value in overrides.items():
        default = defaults.get(name)
        # bool before int (a bool is an int too); an int default may take a float (DOWNLOAD_DELAY=0.5)
        kind = "bool" if isinstance(default, bool) else "float" if isinstance(default, (int, float)) else None
        if kind is None:
            continue
        try:
            getattr(Settings({name: value}), "get" + kind)(name)
        except (TypeError, ValueError):
            expected = "true or false" if kind == "bool" else "a number"
            raise LeaktrackError(f"setting {name}={value!r} is not valid: expected {expected}") from None


def _parent_pid(argv: list[str]) -> int | None:
    return int(argv[argv.index("--parent-pid") + 1]) if "--parent-pid" in argv else None


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int | None, signum: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``signum`` when our parent dies (Linux), so a crawl never outlives
    a sweep killed with ``kill -9``; SIGTERM lets Scrapy finish the documents in flight. If the
    parent died before we asked, stop now. Elsewhere (no prctl), does nothing."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
