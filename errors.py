"""Errors a user can cause. The CLI prints them as one line and exits with their exit code.

Bugs are not LeaktrackErrors: they stay tracebacks so they get reported and fixed.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every command (listed in ``leaktrack --help`` and docs/cli-reference.md)."""

    OK = 0
    ERROR = 1  # configuration, environment, store or network: the message says what
    USAGE = 2  # a mistyped command, option or value (Click's own code)
    LEAK_FOUND = 3  # scan --fail-on-leak: an input holds records of the dataset
    NOT_FOUND = 4  # an id names nothing in the store
    REFUSED = 5  # a status change the takedown workflow does not allow, or a changed match
    UNREADABLE_INPUT = 6  # a dataset, document, fingerprint or key file that cannot be read
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)


EXIT_CODE_HELP = {
    ExitCode.OK: "success (for scan: every input was scanned, leak or not)",
    ExitCode.ERROR: "error: configuration, environment, store or network (one line on stderr says what)",
    ExitCode.USAGE: "usage error: unknown command or option, bad value",
    ExitCode.LEAK_FOUND: "scan --fail-on-leak: an input holds records of the dataset",
    ExitCode.NOT_FOUND: "an id names nothing in the store",
    ExitCode.REFUSED: "refused: a status change the workflow does not allow, or a match changed meanwhile",
    ExitCode.UNREADABLE_INPUT: "input unreadable: a dataset, document, fingerprint or key file",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C or SIGTERM)",
}


class LeaktrackError(Exception):
    """Base of every error caused by input, configuration or environment."""

    exit_code: int = ExitCode.ERROR


class DatasetError(LeaktrackError):
    """The leaked dataset cannot be read or fingerprinted as asked."""

    exit_code = ExitCode.UNREADABLE_INPUT


class FingerprintFileError(LeaktrackError):
    """A fingerprint or key file is missing, corrupt or of an unknown version."""

    exit_code = ExitCode.UNREADABLE_INPUT


class DocumentError(LeaktrackError):
    """A scanned document cannot be read (missing, too large, a decompression bomb)."""

    exit_code = ExitCode.UNREADABLE_INPUT


class SourcesError(LeaktrackError):
    """The sources file is missing or invalid (configuration: exit code 1)."""


class OutputError(LeaktrackError):
    """An output file or standard output cannot be written, or must not be (a file leaktrack keeps)."""


class StoreError(LeaktrackError):
    """The match store cannot be opened, reached or written."""


class NotFoundError(StoreError):
    """An id given by the user names nothing in the store."""

    exit_code = ExitCode.NOT_FOUND


class InvalidTransitionError(StoreError):
    """A status change that the takedown workflow does not allow."""

    exit_code = ExitCode.REFUSED


class ConcurrentUpdateError(StoreError):
    """A match changed between being shown to the user and the user's decision on it."""

    exit_code = ExitCode.REFUSED


class DatasetMismatchError(StoreError):
    """Matches of one leaked dataset and fingerprints (or matches) of another were to be mixed."""


class TakedownTemplateError(LeaktrackError):
    """A takedown notice template is missing or does not render."""
