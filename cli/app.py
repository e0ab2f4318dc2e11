"""The ``leaktrack`` command: a thin layer of Typer commands over the library.

Each command group lives in its own module and registers itself here.
"""

from __future__ import annotations

import typer

from .. import __version__
from . import case_cmds, fingerprint_cmds, queue_cmds, sweep_cmds, takedown_cmds, user_cmds, web_cmds
from .common import configure_logging, new_app

app = new_app("Find re-uploads of a leaked dataset and track their takedown.")


@app.callback(invoke_without_command=True)
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug output to stderr."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
    case: str | None = case_cmds.CASE_OPTION,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    configure_logging(verbose)
    case_cmds.choose_case(case)


fingerprint_cmds.register(app)
sweep_cmds.register(app)
queue_cmds.register(app)
takedown_cmds.register(app)
web_cmds.register(app)  # serve: the review desk
user_cmds.register(app)  # users: the desk's accounts
case_cmds.register(app)  # cases: several leaks in one home


def main() -> None:
    app()


if __name__ == "__main__":
    main()
