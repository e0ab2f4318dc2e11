"""Sweeps: run the spiders of a sources file once, and record what they found.

``run_sweep`` takes the sweep lock (``Workspace.sweep_lock``, so two sweeps never overlap, from
cron, a systemd timer or ``watch``), runs the crawl in a child process (see ``crawl.py``:
Twisted's reactor cannot restart, so one process per crawl), passes its progress to a
callback, and stores the summary as a sweep record. Ctrl-C or SIGTERM stops the crawl
cleanly: the child finishes the documents in flight and closes the store and crawl state.

Signals and processes (the sweep record must never be lost, and no crawl outlive its sweep):

- While a sweep runs, SIGINT and SIGTERM only set a flag and are passed on to the crawl child
  (``SweepStop``); nothing is raised in the middle of starting the child or writing the record.
  Both are blocked while the child is spawned, so one arriving then waits until we hold its
  handle, and is forwarded.
- The child inherits the sweep lock's open file, so the lock is held for as long as any process
  of the sweep runs, and it asks the kernel for SIGTERM when its parent dies (``kill -9`` of the
  sweep): it then finishes the documents in flight and exits, instead of crawling on as an orphan.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypedDict

from .. import errors
from ..errors import LeaktrackError
from ..home import Workspace
from ..index import SweepRecord, open_workspace_store
from .api_sources import check_tokens
from .crawl import COUNTERS, CrawlJob, CrawlOutcome
from .distributed import check_redis_reachable, distributed_settings, with_password
from .health import HISTORY_SWEEPS, SourceHealth, sweep_health
from .sources import Source, SourcesConfig, load_sources

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, dict[str, int]]], None]


class SweepLockedError(LeaktrackError):
    """Another sweep holds the sweep lock."""


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by SIGINT/SIGTERM, after recording itself as interrupted."""


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
    health: list[SourceHealth] = field(default_factory=list)  # judged against earlier sweeps

    @property
    def dark_sources(self) -> list[SourceHealth]:
        return [health for health in self.health if not health.alive]

    @property
    def warnings(self) -> list[str]:
        return [f"source {dark.source} looks dark: {'; '.join(dark.reasons)}" for dark in self.dark_sources]

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
            "health": [health.to_dict() for health in self.health],
            "warnings": self.warnings,
        }


def run_sweep(
    sources: SourcesConfig | str | Path,
    workspace: Workspace,
    source_names: list[str] | None = None,
    keep_evidence: bool = False,
    settings: dict | None = None,
    on_progress: ProgressCallback | None = None,
    redis_url: str | None = None,
    redis_job: str | None = None,
    secrets: dict[str, str] | None = None,
    scrapyd: list[str] | None = None,
) -> SweepSummary:
    """Sweep the sources once (all, or those named), store the matches and the sweep record.

    With ``scrapyd`` (daemon URLs), the sources are crawled by jobs scheduled there, followed to
    their end and recorded like a local crawl (``scrapyd.py``).

    The fingerprints, key, store, crawl state, evidence folder and lock are the workspace's.

    The crawl gets the workspace's secrets (the store's credentials, the sources' tokens; see
    ``credentials.py``) and ``secrets`` (environment variable name -> value) besides; they
    reach the crawl child on its stdin, with the job, and nothing else.

    With ``redis_job`` (and ``redis_url``, else the workspace's ``redis.url``), this is one
    worker of a distributed sweep named ``redis_job`` (see ``distributed.py``); the workspace's
    ``redis.password`` is its password unless the URL holds one.
    """
    config = sources if isinstance(sources, SourcesConfig) else load_sources(sources)
    redis_url = redis_url or (workspace.redis.get("url") if redis_job else None)
    if redis_url:
        redis_url = with_password(redis_url, workspace.redis.get("password"))
        distributed_settings(redis_url, redis_job)  # a bad URL or job name fails before anything runs
        check_redis_reachable(redis_url)
    workspace.ensure_home()
    job = CrawlJob(
        sources=config.select(source_names),
        allow_private_networks=config.allow_private_networks,
        contact=workspace.contact or config.contact,
        **workspace_files(workspace),
        keep_evidence=keep_evidence,
        redis_url=redis_url,
        redis_job=redis_job,
        settings=at_our_log_level(settings),
        secrets=workspace.secrets.merged(secrets).to_dict(),
    )
    if not scrapyd:  # on Scrapyd, each job reads its token on its host (scrapyd.py)
        check_tokens(job.sources, job.secrets)
    with SweepStop() as stop, sweep_lock(workspace.sweep_lock) as lock:
        started = datetime.now(UTC)
        if scrapyd:
            outcome = run_scrapyd_jobs(scrapyd, job, stop)
        else:
            outcome = run_crawl_process(job, on_progress, stop, keep_fds=(lock.fileno(),))
        summary = summarize(started, outcome, stop.requested)
        with open_workspace_store(workspace) as store:
            summary.health = sweep_health(summary, store.list_sweeps(limit=HISTORY_SWEEPS))
            store.record_sweep(summary.to_record())
    if stop.requested:
        raise SweepInterrupted
    return summary


def run_scrapyd_jobs(scrapyds: list[str], job: CrawlJob, stop: SweepStop) -> CrawlOutcome:
    """The crawl on Scrapyd daemons, checked here first as a local crawl is (one-line errors)."""
    from .crawl import preflight
    from .distributed import expire_job_keys
    from .scrapyd import run_on_scrapyd

    preflight(job)
    outcome, _ = run_on_scrapyd(scrapyds, job, stop_requested=lambda: stop.requested)
    if job.redis_url and job.redis_job:
        expire_job_keys(job.redis_url, job.redis_job)
    return outcome


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


class WorkspaceFiles(TypedDict):
    fingerprints_path: str
    key_file: str
    store_url: str
    state_path: str
    evidence_dir: str


def workspace_files(workspace: Workspace) -> WorkspaceFiles:
    """The CrawlJob fields naming the workspace's files (absolute: the child may run elsewhere)."""
    return WorkspaceFiles(
        fingerprints_path=str(workspace.fingerprints),
        key_file=str(workspace.key_file),
        store_url=workspace.store_url,
        state_path=str(workspace.crawl_state),
        evidence_dir=str(workspace.evidence_dir),
    )


@contextmanager
def sweep_lock(path: Path) -> Iterator:
    """Hold the sweep lock file (flock) for the sweep; fail at once if another sweep holds it.

    Yields the open lock file: a process that inherits it holds the lock with us (see above).
    """
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:  # a read-only home, or not ours
        raise LeaktrackError(f"cannot open the sweep lock {path}: {error.strerror or error}") from None
    with suppress(OSError):  # a lock file left by an older version may be 0644
        os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text().strip() or "another process"
            raise SweepLockedError(
                f"another sweep is running ({holder} holds {path}); try again when it ends"
            ) from None
        _note_holder(handle)
        try:
            yield handle
        finally:
            with suppress(OSError):
                os.ftruncate(handle.fileno(), 0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _note_holder(handle) -> None:
    """Write our pid into the lock file, for the message another sweep gets. Best effort: the
    lock is the flock, and a full disk must not stop a sweep here."""
    try:  # unbuffered: a failed write must not linger in a buffer that closing would flush
        os.ftruncate(handle.fileno(), 0)
        os.pwrite(handle.fileno(), f"pid {os.getpid()}".encode(), 0)
    except OSError:
        pass


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SweepStop:
    """SIGINT/SIGTERM while a sweep (or a watch) runs: noted, and passed on to the crawl child.

    The first asks the child for a graceful stop (one SIGTERM: documents in flight finish,
    the store and crawl state are closed); a second kills it. Nothing is raised from the
    handler: the sweep raises SweepInterrupted once its record is stored, and a watch waiting
    between sweeps (``wait``) returns. Raising KeyboardInterrupt from a handler would cut
    whatever runs at that moment (the start of the child, the writing of the record), and
    CPython 3.11 marks a KeyboardInterrupt that passes through ``exec``/``eval`` of a string
    (a dataclass or namedtuple being built by a lazy import) as unhandled even when caught
    later: the process then kills itself with SIGINT at exit instead of exiting 0.

    A SweepStop entered while another one is installed (a sweep inside a watch) starts with the
    outer one's request, so a signal that arrived between them stops the sweep before its
    crawl starts, and hands its own signals back to the outer one on exit. Outside the main
    thread (where no signal is delivered) it installs nothing.
    """

    def __init__(self) -> None:
        self.signals = 0
        self.child: subprocess.Popen | None = None
        self.previous: dict[int, Any] = {}
        self.outer: SweepStop | None = None

    @property
    def requested(self) -> bool:
        return self.signals > 0 or (self.outer is not None and self.outer.requested)

    def __enter__(self) -> SweepStop:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self.previous[signum] = signal.signal(signum, self._note)
            self.outer = _stop_of(self.previous[signal.SIGTERM])
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if self.outer is not None:
            self.outer.signals += self.signals

    def _note(self, signum, frame) -> None:
        self.signals += 1
        self.forward()

    def forward(self) -> None:
        """Pass the stop on to the child, if there is one still running."""
        if self.child is None or self.child.poll() is not None:
            return
        if self.signals == 1:
            self.child.send_signal(signal.SIGTERM)
        elif self.signals > 1:
            self.child.kill()

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds``, or less if a stop is requested meanwhile; True when requested.

        The signals are held back while we look at the flag and taken by ``sigtimedwait``, so
        one arriving between the look and the wait cannot be missed."""
        if not self.previous:  # not the main thread: no signal reaches us anyway
            time.sleep(seconds)
            return self.requested
        with self.signals_held():
            if not self.requested and signal.sigtimedwait(STOP_SIGNALS, seconds) is not None:
                self.signals += 1
        return self.requested

    @contextmanager
    def signals_held(self) -> Iterator[None]:
        """Hold SIGINT/SIGTERM back (they stay pending) while the child is spawned and noted."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _stop_of(handler: Any) -> SweepStop | None:
    """The SweepStop whose handler ``handler`` is, if any."""
    owner = getattr(handler, "__self__", None)
    return owner if isinstance(owner, SweepStop) else None


def run_crawl_process(
    job: CrawlJob,
    on_progress: ProgressCallback | None = None,
    stop: SweepStop | None = None,
    keep_fds: tuple[int, ...] = (),
) -> CrawlOutcome:
    """Run the crawl in a child process and return its outcome (``stop.requested``: interrupted).

    The child gets its own session, so a terminal's Ctrl-C reaches only us; ``stop`` passes it
    on (see ``SweepStop``). ``keep_fds`` are inherited by the child (the sweep lock).
    """
    if stop is None:
        with SweepStop() as own_stop:
            return run_crawl_process(job, on_progress, own_stop, keep_fds)
    with stop.signals_held():
        child = subprocess.Popen(
            [sys.executable, "-m", "leaktrack.spiders.crawl", "--parent-pid", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            pass_fds=keep_fds,
        )
        stop.child = child
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None and stdout is not None  # both opened as pipes above
    # A signal held back above has been handled now: the child has it (or has been killed).
    if not stop.requested:
        _send_job(stdin, job)
    else:
        stdin.close()  # nothing to do: the child exits at once
    events: list[dict] = []
    _read_events(stdout, on_progress, events)
    child.wait()
    final = [event for event in events if event["event"] in ("done", "error")]
    if stop.requested and not final:  # killed by a second signal, or before Scrapy's handlers were in place
        return _counted_so_far(job, events)
    return _outcome_of(final[-1] if final else None, child.returncode)


def _send_job(stdin: IO[str], job: CrawlJob) -> None:
    try:
        stdin.write(job.to_json())
        stdin.close()
    except BrokenPipeError:  # the child was stopped before it read its job; it says so by its exit
        pass


def _counted_so_far(job: CrawlJob, events: list[dict]) -> CrawlOutcome:
    """What a crawl stopped without a final word had counted (its last progress report)."""
    counted = {source.name: dict.fromkeys(COUNTERS, 0) for source in job.sources}
    progress = [event for event in events if event["event"] == "progress"]
    if progress:
        counted.update(progress[-1]["per_source"])
    return CrawlOutcome(per_source=counted, errors={})


def _read_events(stdout: IO[str], on_progress: ProgressCallback | None, events: list[dict]) -> None:
    """Pass progress events on, and keep the last progress and the final event in ``events``."""
    for line in stdout:
        try:
            event = json.loads(line)
        except ValueError:  # the last line of a child killed while writing it
            continue
        if event["event"] == "progress":
            if on_progress:
                on_progress(event["per_source"])
            events[:] = [known for known in events if known["event"] != "progress"]
        events.append(event)


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
