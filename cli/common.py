"""What every command shares: the error boundary, the consoles, JSON output."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..errors import LeaktrackError

# emoji=False: ":cat:" in a page title or URL from the web is text, not an emoji code.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


class LeaktrackGroup(TyperGroup):
    """Turns a LeaktrackError anywhere below into one line on stderr and a non-zero exit.

    Bugs (any other exception) stay tracebacks, so they get reported and fixed.
    """

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LeaktrackError as error:
            message = str(error).replace("\n", " ").strip() or type(error).__name__
            print(f"Error: {message}", file=sys.stderr)
            raise typer.Exit(error.exit_code) from None


def new_app(help_text: str) -> typer.Typer:
    """A Typer app (top level or command group) with leaktrack's conventions."""
    return typer.Typer(
        cls=LeaktrackGroup,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )


def print_json(obj: Any) -> None:
    """One JSON document on stdout, for machines."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def print_json_lines(objs: Iterable[Any]) -> None:
    for obj in objs:
        print_json(obj)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The Elasticsearch client logs each failed attempt, with its traceback, as a WARNING; the
    # store reports the final failure as one line, so those attempts show only with --verbose.
    logging.getLogger("elastic_transport").setLevel(logging.DEBUG if verbose else logging.ERROR)
