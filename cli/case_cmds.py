"""``leaktrack cases``: several leaks in one home folder, kept apart (``--case NAME``).

A case is a folder ``<home>/cases/NAME/`` with its own fingerprints, key, store, crawl state
and evidence (``home.py``); an Elasticsearch store keeps each case under its own index prefix.
The top-level ``--case`` option (cli/options.py) chooses the case of every command.
"""

from __future__ import annotations

import typer
from rich.table import Table

from ..fingerprints import FingerprintSet
from ..home import Workspace, list_cases_in
from ..index import open_workspace_store
from . import options
from .common import console, print_json, run
from .workspace import current_workspace, home_folder


def cases(as_json: bool = options.JSON) -> None:
    """List the cases of the home folder with their dataset and number of matches."""
    rows = [case_summary(current_workspace_of(name)) for name in list_cases_in(home_folder(run.home))]
    if as_json:
        print_json(rows)
        return
    table = Table("case", "dataset id", "matches", "folder", title=f"{len(rows)} case(s)")
    for row in rows:
        table.add_row(row["case"], row["dataset_id"] or "-", str(row["matches"]), row["folder"])
    console.print(table)


def current_workspace_of(case: str) -> Workspace:
    """The workspace of ``case`` with this run's configuration (store URL, ...)."""
    previous, run.case = run.case, case
    try:
        return current_workspace()
    finally:
        run.case = previous


def case_summary(workspace: Workspace) -> dict:
    dataset_id = (
        FingerprintSet.load(workspace.fingerprints, workspace.key_file).dataset_id
        if workspace.fingerprints.is_file()
        else None
    )
    matches = 0
    if workspace.store_path is None or workspace.store_path.is_file():
        with open_workspace_store(workspace) as store:
            matches = sum(store.stats().by_status.values())
    return {
        "case": workspace.case,
        "dataset_id": dataset_id,
        "matches": matches,
        "folder": str(workspace.home),
    }


def register(app: typer.Typer) -> None:
    app.command("cases")(cases)
