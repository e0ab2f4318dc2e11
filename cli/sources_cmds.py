"""``sources status``: whether each source looked alive in the recent sweeps (spiders/health.py)."""

from __future__ import annotations

import typer
from rich.table import Table

from ..index import open_workspace_store
from ..spiders.health import source_history
from . import options
from .common import console, new_app, print_json
from .workspace import current_workspace

sources_app = new_app("The sources of the sweeps: are they alive?")


@sources_app.command("status")
def sources_status(
    store: str | None = options.STORE,
    sweeps: int = typer.Option(10, "--sweeps", min=1, help="How many recent sweeps to judge."),
    as_json: bool = options.JSON,
) -> None:
    """Each source's health in the last sweeps, newest first: alive, or dark and why."""
    with open_workspace_store(current_workspace(store=store)) as match_store:
        recorded = match_store.list_sweeps(limit=sweeps)
    history = source_history(recorded)
    if as_json:
        print_json({name: [health.to_dict() for health in healths] for name, healths in history.items()})
        return
    console.print(status_table(history))


def status_table(history: dict) -> Table:
    table = Table(title="Sources (latest sweep first)")
    for column in ("source", "latest", "why", "history", "documents", "errors"):
        table.add_column(column)
    for name, healths in sorted(history.items()):
        latest = healths[0]
        table.add_row(
            name,
            "alive" if latest.alive else "[red]dark[/red]",
            "; ".join(latest.reasons),
            " ".join("+" if health.alive else "x" for health in healths),
            str(latest.counts.get("documents", 0)),
            str(latest.counts.get("errors", 0)),
        )
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
