"""``--case NAME`` and ``leaktrack cases``: several leaks in one home folder, kept apart.

A case is a folder ``<home>/cases/NAME/`` with its own fingerprints, key, store, crawl state
and evidence (``home.py``); an Elasticsearch store keeps each case under its own index prefix.
"""

from __future__ import annotations

import os

import typer
from rich.table import Table

from .. import home
from ..fingerprints import FingerprintSet
from ..index import open_store
from .common import console, print_json

CASE_OPTION = typer.Option(
    None,
    "--case",
    envvar=home.CASE_ENV,
    help="The case (one leak) to work on: its own fingerprints, key and store in <home>/cases/NAME.",
)


def choose_case(case: str | None) -> None:
    """Make ``case`` the one every path below resolves to (the crawl's child process too)."""
    if case:
        os.environ[home.CASE_ENV] = home.check_case_name(case)
    else:
        os.environ.pop(home.CASE_ENV, None)


def cases(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the cases of the home folder with their dataset and number of matches."""
    rows = [case_summary(name) for name in home.list_cases()]
    if as_json:
        print_json(rows)
        return
    table = Table("case", "dataset id", "matches", "folder", title=f"{len(rows)} case(s)")
    for row in rows:
        table.add_row(row["case"], row["dataset_id"] or "-", str(row["matches"]), row["folder"])
    console.print(table)


def case_summary(name: str) -> dict:
    previous = os.environ.get(home.CASE_ENV)
    os.environ[home.CASE_ENV] = name
    try:
        folder = home.home_dir()
        fingerprints = folder / home.FINGERPRINTS_FILE
        dataset_id = (
            FingerprintSet.load(fingerprints, folder / home.KEY_FILE).dataset_id
            if fingerprints.is_file()
            else None
        )
        matches = 0
        if (folder / home.STORE_FILE).is_file() or not home.default_store_url().startswith("sqlite:"):
            with open_store() as store:
                matches = sum(store.stats().by_status.values())
    finally:
        choose_case(previous)
    return {"case": name, "dataset_id": dataset_id, "matches": matches, "folder": str(folder)}


def register(app: typer.Typer) -> None:
    app.command("cases")(cases)
