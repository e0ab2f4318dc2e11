"""Commands over the match store: the takedown queue, notices, exposure and stats."""

from __future__ import annotations

import os
import sys
import webbrowser
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from ..errors import LeaktrackError
from ..index import NEEDS_REVIEW_STATUSES, STATUSES, Match, MatchStore, export, open_workspace_store, settings
from ..index.base import utcnow
from ..takedown.metrics import takedown_figures
from ..takedown.platforms import platform_contact
from . import options
from . import store_views as views
from .common import (
    busy,
    console,
    counted,
    err_console,
    new_app,
    note,
    output_shares_the_terminal,
    print_json,
    show_progress,
)
from .output import output_stream
from .takedown_views import takedown_tables
from .workspace import current_workspace

# Choices made from the one list of each (mypy cannot see members of an Enum built from a list).
Status = Enum("Status", {status: status for status in STATUSES}, type=str)  # type: ignore[misc]
ExportFormat = Enum("ExportFormat", {name: name for name in settings.EXPORT_FORMATS}, type=str)  # type: ignore[misc]

STORE = options.STORE
JSON = options.JSON
NOTE = typer.Option(None, "--note", help="Why: kept in the match's history.")


def review_store(store_url: str | None) -> MatchStore:
    """The workspace's store, which must exist: a mistyped path must not show an empty queue."""
    return open_workspace_store(current_workspace(store=store_url), must_exist=True)


def default_actor() -> str:
    return os.environ.get("USER") or settings.DEFAULT_ACTOR


BY = typer.Option(None, "--by", help="Who decides (default: $USER, else 'cli').")
OUT = typer.Option(
    None, "--out", help="Write to FILE (owner-only, whole or not at all) instead of stdout; see --force."
)

queue_app = new_app("The takedown queue: list, review, confirm or dismiss copies, export the evidence.")
takedown_app = new_app("Takedown notices: draft one for a copy, record that it was sent.")


@queue_app.command("list")
def queue_list(
    status: Status | None = typer.Option(None, "--status", help="Only matches in this status."),
    source: str | None = typer.Option(None, "--source", help="Only matches found by this source."),
    min_records: int = typer.Option(
        0, "--min-records", min=0, help="Only copies exposing at least K records."
    ),
    limit: int = typer.Option(settings.DEFAULT_QUEUE_LIMIT, "--limit", min=1, help="Show at most N matches."),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """The queue: copies exposing the most records first, then the newest."""
    with review_store(store_url) as store:
        matches = store.list_matches(status.value if status else None, source, min_records, limit)
    if as_json:
        print_json([match.export_dict() for match in matches])
    else:
        console.print(views.queue_table(matches))


@queue_app.command("show")
def queue_show(
    match_id: str = typer.Argument(..., help="Match id."),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Everything known about one match: evidence, records, history, where to report it."""
    with review_store(store_url) as store:
        match, history = store.get(match_id), store.history(match_id)
    contact = platform_contact(match.host)
    if as_json:
        print_json(
            match.export_dict()
            | {"history": [views.history_dict(change) for change in history]}
            | {
                "abuse_contact": contact.as_dict() if contact else None,
                "days_outstanding": match.days_outstanding(),
            }
        )
    else:
        console.print(views.match_panel(match, history, contact))


def _report_failure(match_id: str, error: LeaktrackError) -> None:
    """One decision failed: say which match and why on stderr; the caller goes on with the rest."""
    err_console.print(f"Error: {match_id}: {error}", markup=False, highlight=False, soft_wrap=True)


def _change_each(
    match_ids: list[str],
    to_status: str,
    by: str | None,
    why: str | None,
    store_url: str | None,
    as_json: bool = False,
) -> None:
    """Apply one decision to several matches; report each failure, exit non-zero if any failed."""
    exit_code = 0
    with review_store(store_url) as store:
        for match_id in match_ids:
            try:
                match = store.change_status(match_id, to_status, by or default_actor(), why)
            except LeaktrackError as error:
                _report_failure(match_id, error)
                exit_code = max(exit_code, error.exit_code)
                if as_json:
                    print_json({"id": match_id, "error": str(error), "exit_code": error.exit_code})
                continue
            if as_json:
                print_json({"id": match_id, "status": match.status, "version": match.version})
            else:
                console.print(f"{match_id}: {views.status_text(to_status)}")
    if exit_code:
        raise typer.Exit(exit_code)


@queue_app.command("confirm")
def queue_confirm(
    match_ids: list[str] = typer.Argument(..., help="Match ids."),
    note: str | None = NOTE,
    by: str | None = BY,
    store_url: str | None = STORE,
    as_json: bool = JSON,
) -> None:
    """Confirm copies as real exposures: they go on to a takedown request."""
    _change_each(match_ids, "confirmed", by, note, store_url, as_json)


@queue_app.command("dismiss")
def queue_dismiss(
    match_ids: list[str] = typer.Argument(..., help="Match ids."),
    note: str | None = NOTE,
    by: str | None = BY,
    store_url: str | None = STORE,
    as_json: bool = JSON,
) -> None:
    """Dismiss copies as false matches (a dismissed copy can be confirmed later)."""
    _change_each(match_ids, "dismissed", by, note, store_url, as_json)


REVIEW_KEYS = {"c": "confirm", "d": "dismiss", "s": "skip", "o": "open", "q": "quit"}


@queue_app.command("review")
def queue_review(
    source: str | None = typer.Option(None, "--source", help="Only matches found by this source."),
    by: str | None = BY,
    store_url: str | None = STORE,
) -> None:
    """Walk the new and reappeared matches one at a time: c=confirm d=dismiss s=skip o=open q=quit."""
    workspace = current_workspace(store=store_url)
    with open_workspace_store(workspace, must_exist=True) as store:
        pending = [
            m.id for status in NEEDS_REVIEW_STATUSES for m in store.list_matches(status, source, limit=None)
        ]
        decided = 0
        for match_id in pending:
            outcome = _review_one(store, store.get(match_id), by or default_actor(), workspace.evidence_dir)
            if outcome == "quit":
                break
            decided += outcome in ("confirm", "dismiss")
    console.print(f"{decided} decided, {len(pending)} were waiting for review.")


def _ask_key() -> str:
    keys = "/".join(REVIEW_KEYS)
    try:
        answer = typer.prompt(f"[{keys}]", default="s", show_default=False).strip().lower()[:1]
    except typer.Abort:  # end of piped input
        return "q"
    return answer if answer in REVIEW_KEYS else ""


def _review_one(store: MatchStore, match: Match, by: str, evidence_dir: Path) -> str:
    console.print(views.match_panel(match, store.history(match.id), platform_contact(match.host)))
    evidence = _evidence_of(match, evidence_dir)
    console.print(evidence)
    while True:
        action = REVIEW_KEYS.get(_ask_key(), "")
        if action == "open":  # the evidence as captured, never the live copy (it may have changed)
            _open_evidence(match, evidence)
            continue
        if action in ("confirm", "dismiss"):
            to_status = "confirmed" if action == "confirm" else "dismissed"
            try:
                store.change_status(match.id, to_status, by, expected_version=match.version)
                console.print(f"{match.id}: {views.status_text(to_status)}")
            except LeaktrackError as error:  # e.g. a sweep changed it meanwhile: say so, go on
                _report_failure(match.id, error)
        if action:
            return action
        console.print("keys: " + ", ".join(f"{key}={name}" for key, name in REVIEW_KEYS.items()))


def _evidence_of(match: Match, folder: Path):
    from ..spiders.evidence import load_evidence, warc_path_for
    from .evidence_views import evidence_view  # the scanner with numpy: only to show evidence

    warc = warc_path_for(folder, match.id)
    return evidence_view(load_evidence(folder, match.id), warc if warc.exists() else None)


def _open_evidence(match: Match, evidence) -> None:
    console.print(evidence)
    kept = Path(match.evidence_path) if match.evidence_path else None
    if kept is None or not kept.exists():
        console.print("No copy of the document was kept (sweep --keep-evidence keeps one).", markup=False)
        return
    console.print(f"kept copy: {kept}", soft_wrap=True, markup=False, highlight=False)
    if sys.stdin.isatty():  # piped input means nobody is there to look at a viewer
        webbrowser.open(kept.resolve().as_uri())


@queue_app.command("export")
def queue_export(
    export_format: ExportFormat = typer.Option(
        "jsonl", "--format", help="jsonl (one JSON object a line) or csv."
    ),
    out: Path | None = OUT,
    force: bool = options.FORCE,
    status: Status | None = typer.Option(None, "--status", help="Only matches in this status."),
    store_url: str | None = STORE,
) -> None:
    """Every match, streamed: for reports, other tools, or notifying the people exposed."""
    write = export.WRITERS[export_format.value]
    workspace = current_workspace(store=store_url)
    with open_workspace_store(workspace, must_exist=True) as store:
        matches = export.matches_to_export(store, status.value if status else None)
        matches = counted(
            matches, "Exporting matches", show_progress() and not output_shares_the_terminal(out)
        )
        with output_stream(out, workspace, force, newline="") as stream:
            count = write(matches, stream)
    if out is not None:
        note(f"Exported {count} matches to {out}.")


@queue_app.command("search")
def queue_search(
    text: str = typer.Argument(..., help="Words that must occur in the title or URL (prefixes match)."),
    limit: int = typer.Option(
        settings.DEFAULT_SEARCH_LIMIT, "--limit", min=1, help="Show at most N matches."
    ),
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Full-text search over the titles and URLs of the matches."""
    with review_store(store_url) as store:
        matches = store.search(text, limit)
    if as_json:
        print_json([match.export_dict() for match in matches])
    else:
        console.print(views.queue_table(matches, title=f"Matches for {escape(repr(text))}"))


@takedown_app.command("draft")
def takedown_draft(
    match_id: str = typer.Argument(..., help="Match id."),
    template: Path | None = typer.Option(
        None, "--template", help="A Jinja2 template instead of the default notice."
    ),
    sender: str | None = typer.Option(None, "--sender", help="Your name, organisation and contact details."),
    out: Path | None = OUT,
    force: bool = options.FORCE,
    store_url: str | None = STORE,
) -> None:
    """Draft a removal request with the evidence (URL, dates, SHA-256, record count), no personal data."""
    workspace = current_workspace(store=store_url)
    with open_workspace_store(workspace, must_exist=True) as store:
        match = store.get(match_id)
    from ..takedown import notices  # jinja2: only for drafting (start-up, lazy.py)

    notice = notices.draft_notice(match, template, sender)
    with output_stream(out, workspace, force) as stream:
        stream.write(notice)
    if out is not None:
        note(f"Wrote the notice to {out}.")
        note("\n".join(views.contact_lines(platform_contact(match.host))))


@takedown_app.command("sent")
def takedown_sent(
    match_id: str = typer.Argument(..., help="Match id."),
    to: str = typer.Option(..., "--to", help="Where the notice went (address or form URL)."),
    ref: str | None = typer.Option(None, "--ref", help="The host's ticket or case number."),
    note: str | None = NOTE,
    by: str | None = BY,
    store_url: str | None = STORE,
    as_json: bool = JSON,
) -> None:
    """Record that the takedown notice was sent (the match must be confirmed or reappeared)."""
    with review_store(store_url) as store:
        match = store.record_takedown_sent(match_id, to=to, by=by or default_actor(), ref=ref, note=note)
    if as_json:
        print_json(match.export_dict())
        return
    console.print(f"{match.id}: {views.status_text(match.status)} to {escape(to)}", highlight=False)


def exposure(
    record_id: str | None = typer.Argument(None, help="Record id from the fingerprint file."),
    every_record: bool = typer.Option(
        False, "--all", help="Every exposed record with its copies, for notifying the people affected."
    ),
    exposure_format: str = typer.Option("jsonl", "--format", help="With --all: jsonl or csv."),
    dataset: Path | None = typer.Option(
        None,
        "--dataset",
        help="With --all: your own copy of the dataset, read locally (never stored), to add each person's details.",
    ),
    id_column: str | None = typer.Option(
        None, "--id-column", help="The dataset's id column, as at fingerprinting."
    ),
    column: list[str] | None = typer.Option(
        None, "--column", help="Dataset columns to add (repeatable; default all)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="With --all: write to FILE (owner-only, whole or not at all) instead of stdout; see --force.",
    ),
    force: bool = options.FORCE,
    as_json: bool = JSON,
    store_url: str | None = STORE,
) -> None:
    """Every copy that exposed one record, newest first, with its status: who to tell what."""
    if every_record:
        _exposure_all(exposure_format, dataset, id_column, column, out, force, store_url)
        return
    if record_id is None:
        raise typer.BadParameter("give a record id, or --all", param_hint="RECORD_ID")
    with review_store(store_url) as store:
        matches = store.exposure(record_id)
    if as_json:
        print_json([match.export_dict() for match in matches])
    elif matches:
        console.print(views.queue_table(matches, title=f"Copies exposing record {escape(record_id)}"))
    else:
        console.print(f"Record {record_id} is in no copy found so far.", markup=False, highlight=False)


def _exposure_all(
    exposure_format: str,
    dataset: Path | None,
    id_column: str | None,
    columns: list[str] | None,
    out: Path | None,
    force: bool,
    store_url: str | None,
) -> None:
    from ..takedown import exposure as exposure_report  # reads datasets: only here (lazy.py)

    if exposure_format not in exposure_report.EXPOSURE_FORMATS:
        raise typer.BadParameter("use jsonl or csv", param_hint="--format")
    workspace = current_workspace(store=store_url)
    spinning = show_progress() and not output_shares_the_terminal(out)
    with (
        open_workspace_store(workspace, must_exist=True) as store,
        busy("Collecting exposed records", spinning),
    ):
        records = exposure_report.exposed_records(store, utcnow())
    people = (
        exposure_report.people_from_dataset(dataset, records, id_column, columns or None) if dataset else None
    )
    write = exposure_report.WRITERS[exposure_format]
    with output_stream(out, workspace, force, newline="") as stream:
        count = write(records, stream, people)
    if out is not None:
        note(f"Wrote {count} exposed records to {out}.")


def stats(as_json: bool = JSON, store_url: str | None = STORE) -> None:
    """Counts by status and source, records exposed at least once, copies still up."""
    with review_store(store_url) as store:
        numbers = store.stats()
        takedowns = takedown_figures(store, utcnow())
    if as_json:
        print_json(
            {
                "by_status": numbers.by_status,
                "by_source": numbers.by_source,
                "records_exposed": numbers.records_exposed,
                "copies_still_up": numbers.copies_still_up,
                "takedown": takedowns,
            }
        )
    else:
        console.print(views.stats_table(numbers))
        for table in takedown_tables(takedowns):
            console.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.add_typer(queue_app, name="queue")
    app.add_typer(takedown_app, name="takedown")
    app.command("exposure")(exposure)
    app.command("stats")(stats)
