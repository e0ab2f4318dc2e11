"""The ``leaktrack`` command: a thin layer of Typer commands over the library.

Each command group lives in its own module (cli/<area>_cmds.py, with a ``register(app)``
function) named below with one line; a module is imported only when one of its commands
runs (lazy.py), so that every command starts in a fraction of a second. Options every
command shares are in options.py; the Workspace (every path and setting, resolved once)
comes from workspace.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .. import __version__
from ..errors import EXIT_CODE_HELP
from ..home import check_case_name
from . import options
from .common import configure_logging, keep_lines_whole, new_app, run
from .lazy import lazy_command_group

# The command modules, in the order `leaktrack --help` lists their commands; modules that
# add commands to each other's groups are joined by "+" (loaded together). After adding
# one (or a command to one), run `python -m leaktrack.cli.docs` to regenerate the command
# index and the CLI reference.
COMMAND_MODULES = (
    "fingerprint_cmds",
    "sweep_cmds",
    "queue_cmds+takedown_cmds",  # the takedown group's commands are in both
    "web_cmds",  # serve: the review desk
    "user_cmds",  # users: the desk's accounts
    "case_cmds",  # cases: several leaks in one home
    "config_cmds",
    "sources_cmds",  # sources status: which sources went dark
)

EXIT_CODES_EPILOG = (
    "Exit codes: " + "; ".join(f"{int(code)} {text}" for code, text in EXIT_CODE_HELP.items()) + "."
)

app = new_app(
    "Find re-uploads of a leaked dataset and track their takedown.",
    completion=True,
    cls=lazy_command_group(COMMAND_MODULES),
)


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


# numpy's OpenBLAS starts a thread per core when numpy is imported (~40 ms of CPU on two cores,
# in every command and worker process); leaktrack does no linear algebra, so one thread does.
# Set here, before any command imports numpy; the user's own setting wins.
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1"}


def main() -> None:
    for name, value in BLAS_THREADS.items():
        os.environ.setdefault(name, value)
    app()


if __name__ == "__main__":
    main()
