"""``sweep``, ``watch``, ``recheck`` and ``demo``: thin commands over ``leaktrack.spiders``."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from ..errors import ExitCode, SourcesError
from ..home import Workspace
from . import options
from .alert_options import (
    AlertDigestOption,
    AlertOption,
    AlertQuietOption,
    ReviewUrlOption,
    send_sweep_alerts,
)
from .common import console, err_console, print_json, show_progress
from .store_views import queue_table
from .workspace import current_workspace, source_secrets

COUNT_COLUMNS = ("pages", "documents", "matches", "unchanged", "known_clean", "skipped_seen", "errors")
COLUMN_TITLES = {"documents": "scanned", "known_clean": "known clean", "skipped_seen": "seen before"}

SourcesOption = options.SOURCES
FingerprintsOption = options.FINGERPRINTS
KeyFileOption = options.KEY_FILE
StoreOption = options.STORE
SourceNamesOption = typer.Option(None, "--source", help="Sweep only this source (repeatable).")
KeepEvidenceOption = typer.Option(
    False, "--keep-evidence", help="Keep an owner-only copy of each matching document."
)
JsonOption = options.JSON
RedisUrlOption = typer.Option(
    None,
    "--redis-url",
    help="Share the crawl with other workers through Redis: redis://host:port/db, rediss:// for TLS "
    "[default: $LEAKTRACK_REDIS_URL, else the config file's 'redis.url'; the password: "
    "$LEAKTRACK_REDIS_PASSWORD or 'redis.password', never on the command line].",
)
SettingOption = typer.Option(
    None, "--set", "-s", help="Override a crawl setting, as scrapy -s NAME=VALUE (repeatable)."
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("sweep")(sweep)
    app.command("watch")(watch)
    app.command("recheck")(recheck)
    app.command("demo")(demo)


def sweep_workspace(
    sources: Path | None, fingerprints: Path | None, store: str | None, key_file: Path | None
) -> tuple[Path, Workspace]:
    """The sources file and workspace of a sweep; the sources file is required from some layer."""
    workspace = current_workspace(sources=sources, fingerprints=fingerprints, store=store, key_file=key_file)
    if workspace.sources is None:
        raise SourcesError(
            "no sources file: give --sources FILE, set LEAKTRACK_SOURCES, or `leaktrack config set sources FILE`"
        )
    return workspace.sources, workspace


AllCasesOption = typer.Option(
    False,
    "--all-cases",
    help="Scan every document for every case of the home too (each into its own store, crawl state "
    "and evidence folder).",
)


def sweep(
    sources: Path | None = SourcesOption,
    fingerprints: Path | None = FingerprintsOption,
    source: list[str] | None = SourceNamesOption,
    store: str | None = StoreOption,
    keep_evidence: bool = KeepEvidenceOption,
    key_file: Path | None = KeyFileOption,
    setting: list[str] | None = SettingOption,
    redis_url: str | None = RedisUrlOption,
    redis_job: str | None = typer.Option(
        None, "--redis-job", help="Name of the distributed sweep; workers with the same name cooperate."
    ),
    json_output: bool = JsonOption,
    alert: list[str] | None = AlertOption,
    alert_digest: bool | None = AlertDigestOption,
    alert_quiet: bool | None = AlertQuietOption,
    review_url: str | None = ReviewUrlOption,
    all_cases: bool = AllCasesOption,
    strict: bool = typer.Option(
        False, "--strict", help="Exit 1 when a source looks dark (see `leaktrack sources status`)."
    ),
    scrapyd: list[str] | None = typer.Option(
        None,
        "--scrapyd",
        help="Crawl on this Scrapyd daemon (repeatable; leaktrack deployed there: docs/operations.md) "
        "and follow its jobs to the end; with --redis-job every daemon shares every source.",
    ),
) -> None:
    """Sweep the sources once: fetch, scan, and put every copy of the leak in the queue."""
    from ..spiders.sweep import run_sweep

    sources_file, workspace = sweep_workspace(sources, fingerprints, store, key_file)
    settings = parse_settings(setting)
    if all_cases:
        settings |= other_cases_settings(workspace)
    with progress_view(enabled=show_progress(json_output)) as show:
        summary = run_sweep(
            sources_file,
            workspace,
            source or None,
            keep_evidence,
            settings=settings,
            on_progress=show,
            redis_url=redis_url,
            redis_job=redis_job,
            secrets=source_secrets(sources_file),
            scrapyd=scrapyd or None,
        )
    render_summary(summary, json_output)
    send_sweep_alerts(summary, workspace, alert, alert_digest, alert_quiet, review_url)
    if strict and summary.dark_sources:
        raise typer.Exit(ExitCode.ERROR)


def watch(
    sources: Path | None = SourcesOption,
    every: str = typer.Option("30m", "--every", help="Time between sweep starts: 45s, 30m, 2h, 1d."),
    max_sweeps: int | None = typer.Option(None, "--max-sweeps", min=1, help="Stop after this many sweeps."),
    fingerprints: Path | None = FingerprintsOption,
    source: list[str] | None = SourceNamesOption,
    store: str | None = StoreOption,
    keep_evidence: bool = KeepEvidenceOption,
    key_file: Path | None = KeyFileOption,
    setting: list[str] | None = SettingOption,
    json_output: bool = typer.Option(False, "--json", help="Print each sweep's summary as a JSON line."),
    alert: list[str] | None = AlertOption,
    alert_digest: bool | None = AlertDigestOption,
    alert_quiet: bool | None = AlertQuietOption,
    review_url: str | None = ReviewUrlOption,
    redis_url: str | None = RedisUrlOption,
    redis_job: str | None = typer.Option(
        None,
        "--redis-job",
        help="Share each tick's sweep with other watch workers of this name (and --every) through Redis; "
        "each tick is the job NAME.<start of its interval>.",
    ),
    all_cases: bool = AllCasesOption,
) -> None:
    """Sweep on a schedule until stopped (Ctrl-C or SIGTERM); a failed sweep is retried next tick.

    With --all-cases every sweep scans for every case of the home; the cases are looked up again
    at each sweep, so a case fingerprinted while watch runs joins at the next one.
    """
    from ..spiders.distributed import tick_job_name
    from ..spiders.sweep import run_sweep
    from ..spiders.watch import parse_interval
    from ..spiders.watch import watch as watch_sources

    try:
        seconds = parse_interval(every)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--every") from None
    crawl_settings = parse_settings(setting)
    sources_file, workspace = sweep_workspace(sources, fingerprints, store, key_file)

    def on_summary(summary) -> None:
        render_summary(summary, json_output, flush=True)
        send_sweep_alerts(summary, workspace, alert, alert_digest, alert_quiet, review_url, keep_going=True)

    if all_cases:
        other_cases_settings(workspace)  # a case that cannot be swept: one line now, not at every tick

    def sweep_once():
        job = tick_job_name(redis_job, seconds, datetime.now(UTC)) if redis_job else None
        return run_sweep(
            sources_file,
            workspace,
            source or None,
            keep_evidence,
            settings=crawl_settings | (other_cases_settings(workspace) if all_cases else {}),
            redis_url=redis_url,
            redis_job=job,
            secrets=source_secrets(sources_file),  # read at each tick, like the sources file
        )

    sweeps = watch_sources(
        sweep_once,
        seconds,
        max_sweeps,
        on_summary=on_summary,
        on_failure=lambda error: err_console.print(f"[red]sweep failed[/red] (retrying next tick): {error}"),
    )
    err_console.print(f"watch: {sweeps} sweep(s) run")


def recheck(
    status: str = typer.Option("takedown_sent", "--status", help="Recheck matches in this status."),
    store: str | None = StoreOption,
    fingerprints: Path | None = FingerprintsOption,
    key_file: Path | None = KeyFileOption,
    setting: list[str] | None = SettingOption,
    allow_private_networks: bool = typer.Option(
        False, "--allow-private-networks", help="Allow private/loopback addresses (local testing only)."
    ),
    json_output: bool = JsonOption,
) -> None:
    """Re-fetch copies in the queue: gone ones become 'removed'; the rest show days outstanding."""
    from ..index import STATUSES
    from ..spiders.recheck import recheck as recheck_matches

    if status not in STATUSES:
        raise typer.BadParameter(f"{status!r} is not one of {', '.join(STATUSES)}", param_hint="--status")
    workspace = current_workspace(store=store, fingerprints=fingerprints, key_file=key_file)
    with progress_view(enabled=show_progress(json_output), title="Rechecking") as show:
        results = recheck_matches(
            workspace, status, allow_private_networks, settings=parse_settings(setting), on_progress=show
        )
    if json_output:
        print_json([result.to_dict() for result in results])
        return
    table = Table(title=f"Recheck of {len(results)} match(es) in status {status}")
    table.add_column("id", no_wrap=True)
    table.add_column("url", overflow="fold")
    for column in ("verdict", "HTTP", "status", "days since notice"):
        table.add_column(column)
    for result in results:
        table.add_row(
            result.match_id,
            result.url,
            result.verdict,
            str(result.http_status or "-"),
            result.status,
            "-" if result.days_outstanding is None else str(result.days_outstanding),
        )
    console.print(table)


def demo(
    home: Path | None = typer.Option(
        None, "--home", help="Home folder for the demo (default: a new temporary folder)."
    ),
    records: int = typer.Option(300, "--records", min=50, max=20000, help="Records in the synthetic leak."),
    json_output: bool = JsonOption,
) -> None:
    """The whole job on synthetic data: serve a paste site and a mirror on 127.0.0.1, fingerprint, sweep, show the queue."""
    folder = Path(home) if home else Path(tempfile.mkdtemp(prefix="leaktrack-demo-"))
    from ..spiders.demo import run_demo

    with progress_view(enabled=show_progress(json_output)) as show:
        report = run_demo(folder, records=records, on_progress=show)
    if json_output:
        print_json(report.to_dict())
        return
    for line in report.steps:
        console.print(f"- {line}")
    render_summary(report.summary, json_output=False)
    render_queue(report.queue)
    console.print(
        f"Home folder: {folder}  (try: leaktrack --home {folder} queue list)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def other_cases_settings(workspace: Workspace) -> dict[str, str]:
    """The setting that makes one sweep scan for every other case of the home (spiders/cases.py)."""
    from ..spiders.cases import OTHER_CASES_SETTING, check_lanes, lanes_to_setting, other_case_lanes

    base_home = workspace.config_path.parent  # the home folder that holds every case
    lanes = other_case_lanes(base_home, workspace.case, workspace.store_url)
    check_lanes(lanes, workspace.secrets)
    return {OTHER_CASES_SETTING: lanes_to_setting(lanes)}


def parse_settings(pairs: list[str] | None) -> dict[str, str]:
    settings = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        settings[name.strip()] = value
    return settings


@contextmanager
def progress_view(enabled: bool, title: str = "Sweeping") -> Iterator:
    """A live table of per-source counts on stderr while the crawl runs."""
    if not enabled:
        yield None
        return
    with Live(counts_table({}, title), console=err_console, transient=True, refresh_per_second=4) as live:
        yield lambda per_source: live.update(counts_table(per_source, title))


def counts_table(per_source: dict[str, dict[str, int]], title: str = "Sweeping") -> Table:
    table = Table(title=title)
    table.add_column("source")
    for column in COUNT_COLUMNS:
        table.add_column(COLUMN_TITLES.get(column, column), justify="right")
    for name, counts in per_source.items():
        table.add_row(name, *(str(counts.get(column, 0)) for column in COUNT_COLUMNS))
    return table


def render_summary(summary, json_output: bool, flush: bool = False) -> None:
    if json_output:
        print_json(summary.to_dict())
        if flush:  # watch: each summary reaches a reading pipe at once
            sys.stdout.flush()
        return
    console.print(counts_table(summary.per_source, title=f"Sweep {summary.id} ({summary.seconds:.1f} s)"))
    for error in summary.errors:
        err_console.print(f"[yellow]error[/yellow] {error}", highlight=False)
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)


def render_queue(matches) -> None:
    console.print(queue_table(matches, title=f"Takedown queue ({len(matches)} match(es))"))
