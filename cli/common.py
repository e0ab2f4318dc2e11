"""What every command shares: the error boundary, the consoles, JSON output."""

from __future__ import annotations

import itertools
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..errors import ExitCode, LeaktrackError
from .output import WRITE_FAILURES, StdoutGuard

T = TypeVar("T")


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich exits 1 here; the error boundary (LeaktrackGroup) ends quietly with 0 instead."""
        raise BrokenPipeError


# emoji=False: ":cat:" in a page title or URL from the web is text, not an emoji code.
console = _Console(emoji=False)
err_console = _Console(stderr=True, emoji=False)
UNWRAPPED_WIDTH = 100_000  # wider than any line: rich wraps nothing


@dataclass
class RunOptions:
    """What the top-level options said, for every command of this run."""

    home: Path | None = None  # --home / LEAKTRACK_HOME
    quiet: bool = False  # --quiet: no progress, no notes
    case: str | None = None  # --case / LEAKTRACK_CASE: one leak's own files in <home>/cases/NAME


run = RunOptions()


def note(text: str) -> None:
    """A note for the person at the terminal, on stderr (not with --quiet)."""
    if not run.quiet:
        err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def show_progress(as_json: bool = False) -> bool:
    """Progress displays only for a person: not with --quiet or --json, not when stderr is no terminal."""
    return not (run.quiet or as_json) and err_console.is_terminal


def output_shares_the_terminal(out: Path | None) -> bool:
    """True when the command's output goes to the terminal (no --out, stdout not redirected):
    a progress display there would be drawn over the rows."""
    return out is None and console.is_terminal


def counted(items: Iterable[T], description: str, enabled: bool) -> Iterator[T]:
    """``items`` as they are consumed, counted on a progress display on stderr (when ``enabled``)."""
    if not enabled:
        yield from items
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}: {task.completed}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None)
        for item in items:
            yield item
            progress.advance(task)


@contextmanager
def busy(description: str, enabled: bool) -> Iterator[None]:
    """A spinner on stderr while a step of unknown length runs (when ``enabled``)."""
    if not enabled:
        yield
        return
    with err_console.status(description):
        yield


def keep_lines_whole() -> None:
    """Output to a pipe or file is not wrapped: every URL and id stays whole on one line."""
    for stream_console in (console, err_console):
        stream_console.width = None if stream_console.is_terminal else UNWRAPPED_WIDTH  # type: ignore[assignment]


class LeaktrackGroup(TyperGroup):
    """The error boundary of every command.

    A LeaktrackError anywhere below becomes one line on stderr and its exit code; a reader
    that closes the pipe (``| head``) ends the command quietly with exit 0; a full disk on
    stdout is one line; Ctrl-C is "Interrupted." and exit 130. Bugs (any other exception)
    stay tracebacks, so they get reported and fixed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .options import per_command_options  # (options.py imports this module)

        for command in self.commands.values():
            taken = {name for param in command.params for name in param.opts}
            if not isinstance(command, TyperGroup) and not taken & {"--quiet", "--verbose"}:
                command.params.extend(per_command_options())

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        if ctx.parent is not None:  # a command group below the top: the top one guards
            return super().invoke(ctx)
        guard = StdoutGuard()
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a full disk shows here, not as a warning at exit
            return result
        except LeaktrackError as error:
            fail(error)
        except BrokenPipeError:
            guard.reader_gone()
            raise typer.Exit(ExitCode.OK) from None
        except KeyboardInterrupt:
            print("Interrupted.", file=sys.stderr)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except OSError as error:
            if error.errno not in WRITE_FAILURES:
                raise
            fail(guard.write_failed(error))


def fail(error: LeaktrackError) -> NoReturn:
    """One line on stderr, then the error's exit code."""
    message = str(error).replace("\n", " ").strip() or type(error).__name__
    print(f"Error: {message}", file=sys.stderr)
    raise typer.Exit(error.exit_code) from None


def new_app(
    help_text: str, completion: bool = False, cls: type[LeaktrackGroup] = LeaktrackGroup
) -> typer.Typer:
    """A Typer app (top level or command group) with leaktrack's conventions."""
    return typer.Typer(
        cls=cls,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=completion,
    )


def print_json(obj: Any) -> None:
    """One JSON document on stdout, for machines."""
    sys.stdout.write(_json_line(obj))


def _json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str) + "\n"


# JSON lines written to stdout at once: a write a line is a system call a line where Python
# runs unbuffered (PYTHONUNBUFFERED, as in many containers): `leaktrack scan --json` of 1,383
# files spent 0.067 s of its ~3 s under cProfile in them.
JSON_LINES_A_WRITE = 256


def print_json_lines(objs: Iterable[Any]) -> None:
    """One JSON document a line on stdout, JSON_LINES_A_WRITE lines a write."""
    objs = iter(objs)
    while lines := [_json_line(obj) for obj in itertools.islice(objs, JSON_LINES_A_WRITE)]:
        sys.stdout.write("".join(lines))


def be_quiet() -> None:
    """--quiet, given at the top or to the command: no progress, no notes."""
    run.quiet = True


def be_verbose() -> None:
    """--verbose, given at the top or to the command: debug logs on stderr."""
    configure_logging(verbose=True)


def configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if verbose:  # basicConfig sets nothing once a handler exists (--verbose after the top-level one)
        logging.getLogger().setLevel(level)
    # The Elasticsearch client logs each failed attempt, with its traceback, as a WARNING; the
    # store reports the final failure as one line, so those attempts show only with --verbose.
    logging.getLogger("elastic_transport").setLevel(logging.DEBUG if verbose else logging.ERROR)
