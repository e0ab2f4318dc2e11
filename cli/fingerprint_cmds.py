"""``leaktrack fingerprint`` and ``leaktrack scan``: thin commands over leaktrack.fingerprints."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from rich.table import Table

from ..errors import ExitCode
from ..fingerprints.fingerprint_set import FingerprintSet
from ..fingerprints.formats.limits import OCR_MISSING
from ..fingerprints.results import ScanResult
from ..fingerprints.scan import scan_paths
from ..fingerprints.spill import default_workers
from . import options
from .common import console, err_console, print_json, print_json_lines, show_progress
from .workspace import current_workspace

LEAK_FOUND_EXIT_CODE = ExitCode.LEAK_FOUND
_IDS_SHOWN = 10


def fingerprint(
    dataset: Path = typer.Argument(..., help="The leaked dataset: CSV, TSV, JSON, JSONL or XLSX."),
    out: Path | None = typer.Option(
        None,
        "--fingerprints",
        "--out",
        envvar=options.SETTINGS_BY_KEY["fingerprints"].env,
        help="Fingerprint file to write [default: config file's 'fingerprints', else the home folder's fingerprints.ltfp]",
    ),
    key_file: Path | None = options.KEY_FILE,
    id_column: str | None = typer.Option(
        None, "--id-column", help="Column whose values are the record ids (stored as plaintext)."
    ),
    columns: str | None = typer.Option(
        None, "--columns", help="Comma-separated columns to fingerprint (default: all)."
    ),
    memory: str | None = typer.Option(
        None, "--memory", help="Memory budget of the build, e.g. 4G or 512M (default: a quarter of RAM)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes of the build (default: every core)."
    ),
    as_json: bool = options.JSON,
) -> None:
    """Fingerprint a leaked dataset into a file that holds no plaintext of its records."""
    from ..fingerprints.build import fingerprint_dataset_file
    from ..index.open import refuse_refingerprinting  # the store, only to build (start-up: lazy.py)

    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns is not None else None
    workspace = current_workspace(fingerprints=out, key_file=key_file)
    if workspace.fingerprints == current_workspace().fingerprints:  # the home's own fingerprints
        # The home's store holds another dataset's matches?
        refuse_refingerprinting(workspace.fingerprints, workspace.store_url, workspace.secrets)
    budget = parse_size(memory) if memory is not None else None
    workspace.ensure_home()
    with _build_progress() as progress:
        fingerprints, path = fingerprint_dataset_file(
            dataset,
            workspace.fingerprints,
            workspace.key_file,
            id_column,
            wanted,
            memory_bytes=budget,
            workers=workers,
            progress=progress,
        )
    summary = {
        "fingerprints": str(path),
        "records": len(fingerprints),
        "bytes": path.stat().st_size,
        "id_column": id_column,
        "columns": [vars(c) for c in fingerprints.columns],
    }
    if as_json:
        print_json(summary)
        return
    table = Table(
        "column", "kind", "unique share", "bits", title=f"{len(fingerprints)} records fingerprinted"
    )
    for c in fingerprints.columns:
        table.add_row(c.name, c.kind, f"{c.unique_share:.2f}", f"{c.bits:.1f}")
    console.print(table)
    console.print(f"Wrote {path} ({summary['bytes']:,} bytes). Keep the key file secret and apart from it.")


_SIZE_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str) -> int:
    """Bytes of a size like 4G, 512M, 1.5GiB or 1000000."""
    value = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = value[-1:] if value[-1:] in _SIZE_UNITS else ""
    try:
        number = float(value[: len(value) - len(unit)])
    except ValueError:
        raise typer.BadParameter(f"not a size: {text!r} (e.g. 4G, 512M)", param_hint="--memory") from None
    if number <= 0:
        raise typer.BadParameter(f"not a size: {text!r} (e.g. 4G, 512M)", param_hint="--memory")
    return int(number * _SIZE_UNITS[unit])


@contextlib.contextmanager
def _scan_progress(enabled: bool) -> Iterator[Callable[[ScanResult], ScanResult]]:
    """Inputs scanned so far, on stderr while it is a terminal (a folder's count is not known
    ahead: no bar, a running count); the results pass through unchanged."""
    if not enabled:
        yield lambda result: result
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} input(s) scanned, {task.fields[leaks]} leaking"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("scan", total=None, leaks=0)
        leaks = 0

        def scanned(result: ScanResult) -> ScanResult:
            nonlocal leaks
            leaks += result.is_leak
            progress.update(task, advance=1, leaks=leaks)
            return result

        yield scanned


@contextlib.contextmanager
def _build_progress():
    """A progress bar on stderr when it is a terminal (the build's passes), else nothing."""
    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield progress


def scan(
    paths: list[Path] = typer.Argument(..., help="Files or folders to scan (folders: every file inside)."),
    fingerprints_file: Path | None = options.FINGERPRINTS,
    key_file: Path | None = options.KEY_FILE,
    as_json: bool = options.JSON,
    fail_on_leak: bool = typer.Option(
        False, "--fail-on-leak", help=f"Exit {LEAK_FOUND_EXIT_CODE} when any input leaks."
    ),
    special_files: bool = typer.Option(
        False,
        "--special-files",
        help="Also read pipes and devices named as inputs (size limit still applies).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Processes scanning files at once (default: every core)."
    ),
) -> None:
    """Scan files for records of the fingerprinted dataset; say which records each exposes.

    Exit code 0 when every input was scanned (leak or not), 6 when an input could not be
    (the others are still scanned and reported), 3 with --fail-on-leak when any input leaks."""
    workspace = current_workspace(fingerprints=fingerprints_file, key_file=key_file)
    fingerprints = FingerprintSet.load(workspace.fingerprints, workspace.key_file)
    errors: list[str] = []
    scanning = scan_paths(
        paths, fingerprints, errors, allow_special_files=special_files, workers=workers or default_workers()
    )
    with _scan_progress(enabled=show_progress(as_json)) as scanned:
        results = [scanned(result) for result in scanning]
    if as_json:
        print_json_lines(r.to_dict() for r in results)
    else:
        console.print(_results_table(results))
        for note in _scan_notes(results):
            err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    for error in errors:  # the other inputs were scanned; these could not be
        err_console.print(f"Error: {error}", markup=False, highlight=False, soft_wrap=True)
    if errors:
        raise typer.Exit(ExitCode.UNREADABLE_INPUT)
    if fail_on_leak and any(r.is_leak for r in results):
        raise typer.Exit(LEAK_FOUND_EXIT_CODE)


def _scan_notes(results: list[ScanResult]) -> list[str]:
    """What the table does not show: inputs a limit stopped part-way (their matches are of
    the part read), and images left unread for want of OCR (with how to enable it)."""
    notes = [
        f"{r.input} was partly read ({len(r.skipped)} part(s) skipped; --json lists why)"
        for r in results
        if r.partly_read
    ]
    unread_images = sum(1 for r in results for reason in r.skipped if reason.endswith(OCR_MISSING))
    if unread_images:
        notes.append(f"{unread_images} image(s) or scanned page(s) not read: {OCR_MISSING}")
    return notes


def _results_table(results: list[ScanResult]) -> Table:
    table = Table("input", "verdict", "records", "containment", "seconds", "record ids")
    for r in results:
        ids = ", ".join(r.matched_records[:_IDS_SHOWN])
        if r.matched_count > _IDS_SHOWN:
            ids += f" (+{r.matched_count - _IDS_SHOWN})"
        verdict = "[bold red]leak[/]" if r.is_leak else "clean"
        table.add_row(r.input, verdict, str(r.matched_count), f"{r.containment:.2f}", f"{r.seconds:.3f}", ids)
    return table


def register(app: typer.Typer) -> None:
    """Add this module's commands to the top-level app."""
    app.command("fingerprint")(fingerprint)
    app.command("scan")(scan)
