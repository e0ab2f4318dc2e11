"""The ``leaktrack`` command: a thin layer of Typer commands over the library.

Each command group lives in its own module (cli/<area>_cmds.py) and registers itself below
with one line. Options every command shares are in options.py; the Workspace (every path and
setting, resolved once) comes from workspace.py.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .. import __version__
from ..errors import EXIT_CODE_HELP
from ..home import check_case_name
from . import (
    case_cmds,
    config_cmds,
    fingerprint_cmds,
    options,
    queue_cmds,
    sources_cmds,
    sweep_cmds,
    takedown_cmds,
    user_cmds,
    web_cmds,
)
from .common import configure_logging, keep_lines_whole, new_app, run

EXIT_CODES_EPILOG = (
    "Exit codes: " + "; ".join(f"{int(code)} {text}" for code, text in EXIT_CODE_HELP.items()) + "."
)

app = new_app("Find re-uploads of a leaked dataset and track their takedown.", completion=True)


@app.callback(invoke_without_command=True, epilog=EXIT_CODES_EPILOG)
def _root(
    home: Path | None = options.HOME,
    verbose: bool = options.VERBOSE,
    quiet: bool = options.QUIET,
    case: str | None = options.CASE,
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    run.home, run.quiet, run.case = home, quiet, check_case_name(case) if case else None
    keep_lines_whole()
    configure_logging(verbose)


fingerprint_cmds.register(app)
sweep_cmds.register(app)
queue_cmds.register(app)
takedown_cmds.register(app)
web_cmds.register(app)  # serve: the review desk
user_cmds.register(app)  # users: the desk's accounts
case_cmds.register(app)  # cases: several leaks in one home
config_cmds.register(app)
sources_cmds.register(app)  # sources status: which sources went dark


def main() -> None:
    app()


if __name__ == "__main__":
    main()
