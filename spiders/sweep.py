"""Sweeps: run the spiders of a sources file once, and record what they found.

``run_sweep`` takes the sweep lock (``home/sweep.lock``, so two sweeps never overlap, from
cron, a systemd timer or ``watch``), runs the crawl in a child process (see ``crawl.py``:
Twisted's reactor cannot restart, so one process per crawl), passes its progress to a
callback, and stores the summary as a sweep record. Ctrl-C or SIGTERM stops the crawl
cleanly: the child finishes the documents in flight and closes the store and crawl state.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import errors
from ..errors import LeaktrackError
from ..home import (
    CRAWL_STATE_FILE,
    FINGERPRINTS_FILE,
    KEY_FILE,
    SWEEP_LOCK_FILE,
    default_store_url,
    ensure_home,
)
from ..index import SweepRecord, open_store
from .crawl import COUNTERS, CrawlJob, CrawlOutcome
from .distributed import check_redis_reachable, distributed_settings
from .sources import Source, SourcesConfig, load_sources

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, dict[str, int]]], None]


class SweepLockedError(LeaktrackError):
    """Another sweep holds the sweep lock."""


class CrawlFailedError(LeaktrackError):
    """The crawl process died without a result (its log on stderr says why)."""


@dataclass
class SweepSummary:
    id: str
    started_at: datetime
    finished_at: datetime
    per_source: dict[str, dict[str, int]]  # source -> pages, documents, matches, unchanged, ...
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    def totals(self) -> dict[str, int]:
        return self.to_record().totals()

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def to_record(self) -> SweepRecord:
        return SweepRecord(
            id=self.id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            per_source=self.per_source,
            errors=list(self.errors),
        )

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "per_source": self.per_source,
            "totals": self.totals(),
            "errors": list(self.errors),
            "interrupted": self.interrupted,
        }


def run_sweep(
    sources: SourcesConfig | str | Path,
    fingerprints_path: str | Path | None = None,
    store_url: str | None = None,
    source_names: list[str] | None = None,
    keep_evidence: bool = False,
    settings: dict | None = None,
    on_progress: ProgressCallback | None = None,
    key_file: str | Path | None = None,
    redis_url: str | None = None,
    redis_job: str | None = None,
) -> SweepSummary:
    """Sweep the sources once (all, or those named), store the matches and the sweep record.

    With ``redis_url``, this is one worker of a distributed sweep named ``redis_job``
    (see ``distributed.py``).
    """
    config = sources if isinstance(sources, SourcesConfig) else load_sources(sources)
    if redis_url:
        distributed_settings(redis_url, redis_job)  # a bad URL or job name fails before anything runs
        check_redis_reachable(redis_url)
    job = CrawlJob(
        sources=config.select(source_names),
        fingerprints_path=home_file(fingerprints_path, FINGERPRINTS_FILE),
        key_file=home_file(key_file, KEY_FILE),
        store_url=absolute_store_url(store_url or default_store_url()),
        state_path=home_file(None, CRAWL_STATE_FILE),
        allow_private_networks=config.allow_private_networks,
        contact=config.contact,
        keep_evidence=keep_evidence,
        redis_url=redis_url,
        redis_job=redis_job,
        settings=at_our_log_level(settings),
    )
    with sweep_lock():
        started = datetime.now(UTC)
        outcome, interrupted = run_crawl_process(job, on_progress)
        summary = summarize(started, outcome, interrupted)
        with open_store(job.store_url) as store:
            store.record_sweep(summary.to_record())
    if interrupted:
        raise KeyboardInterrupt
    return summary


def summarize(started: datetime, outcome: CrawlOutcome, interrupted: bool) -> SweepSummary:
    errors = [f"{name}: {message}" for name, messages in outcome.errors.items() for message in messages]
    if interrupted:
        errors.append(
            "sweep interrupted (SIGINT/SIGTERM): pages not yet fetched were left for the next sweep"
        )
    return SweepSummary(
        id=started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        started_at=started,
        finished_at=datetime.now(UTC),
        per_source=outcome.per_source,
        errors=errors,
        interrupted=interrupted,
    )


def at_our_log_level(overrides: dict | None) -> dict:
    """The crawl logs at our level unless told otherwise (-v: DEBUG, else WARNING)."""
    return {"LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()), **(overrides or {})}


def home_file(given: str | Path | None, default_name: str) -> str:
    """Absolute path of a file option, defaulting to the home folder's file of that name."""
    return str(Path(given or ensure_home() / default_name).resolve())


def absolute_store_url(url: str) -> str:
    """The child process may run elsewhere: make a relative SQLite path absolute."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        return prefix + str(Path(url[len(prefix) :]).resolve())
    return url


@contextmanager
def sweep_lock() -> Iterator[None]:
    """Hold ``home/sweep.lock`` (flock) for the sweep; fail at once if another sweep holds it."""
    path = ensure_home() / SWEEP_LOCK_FILE
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text().strip() or "another process"
            raise SweepLockedError(
                f"another sweep is running ({holder} holds {path}); try again when it ends"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_crawl_process(
    job: CrawlJob, on_progress: ProgressCallback | None = None
) -> tuple[CrawlOutcome, bool]:
    """Run the crawl in a child process; returns its outcome and whether it was interrupted.

    The child gets its own session, so a terminal's Ctrl-C reaches only us; we then send it
    one SIGTERM, which Scrapy answers with a graceful shutdown (documents in flight finish,
    pipelines close the store and state), and wait for its result.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "leaktrack.spiders.crawl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        child.stdin.write(job.to_json())
        child.stdin.close()
    except KeyboardInterrupt:  # stopped before the child had its job: it has nothing to finish
        child.kill()
        child.wait()
        return _nothing_crawled(job), True
    interrupted = False
    events: list[dict] = []
    while True:
        try:
            _read_events(child, on_progress, events)
            child.wait()
            break
        except KeyboardInterrupt:
            if interrupted:  # a second Ctrl-C: stop waiting
                child.kill()
                raise
            interrupted = True
            child.send_signal(signal.SIGTERM)
    if interrupted and not events:  # stopped before Scrapy's own handlers were in place: nothing was crawled
        return _nothing_crawled(job), True
    return _outcome_of(events[-1] if events else None, child.returncode), interrupted


def _nothing_crawled(job: CrawlJob) -> CrawlOutcome:
    return CrawlOutcome(
        per_source={source.name: dict.fromkeys(COUNTERS, 0) for source in job.sources}, errors={}
    )


def _read_events(child: subprocess.Popen, on_progress: ProgressCallback | None, results: list[dict]) -> None:
    """Pass progress events on; keep the final ``done`` or ``error`` event in ``results``."""
    for line in child.stdout:
        event = json.loads(line)
        if event["event"] == "progress" and on_progress:
            on_progress(event["per_source"])
        elif event["event"] in ("done", "error"):
            results.append(event)


def _outcome_of(result: dict | None, returncode: int) -> CrawlOutcome:
    if result is None:
        raise CrawlFailedError(
            f"the crawl process exited with code {returncode} without a result; see the log above"
        )
    if result["event"] == "error":
        error_class = getattr(errors, result["type"], None)
        if not (isinstance(error_class, type) and issubclass(error_class, LeaktrackError)):
            error_class = LeaktrackError
        raise error_class(result["message"])
    return CrawlOutcome(
        per_source=result["per_source"],
        errors=result["errors"],
        recheck_answers=result.get("recheck_answers", []),
    )


def sources_for_urls(urls: list[str], name: str = "recheck") -> list[Source]:
    return [Source(name=name, kind="urls", urls=list(urls))]
