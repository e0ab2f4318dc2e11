"""Errors a user can cause. The CLI prints them as one line and exits non-zero.

Bugs are not LeaktrackErrors: they stay tracebacks so they get reported and fixed.
"""


class LeaktrackError(Exception):
    """Base of every error caused by input, configuration or environment."""

    exit_code = 1


class DatasetError(LeaktrackError):
    """The leaked dataset cannot be read or fingerprinted as asked."""


class FingerprintFileError(LeaktrackError):
    """A fingerprint or key file is missing, corrupt or of an unknown version."""


class DocumentError(LeaktrackError):
    """A scanned document cannot be read (missing, too large, a decompression bomb)."""


class SourcesError(LeaktrackError):
    """The sources file is missing or invalid."""


class StoreError(LeaktrackError):
    """The match store cannot be opened, reached or written."""


class NotFoundError(StoreError):
    """An id given by the user names nothing in the store."""

    exit_code = 2


class InvalidTransitionError(StoreError):
    """A status change that the takedown workflow does not allow."""

    exit_code = 2


class ConcurrentUpdateError(StoreError):
    """A match changed between being shown to the user and the user's decision on it."""


class DatasetMismatchError(StoreError):
    """Matches of one leaked dataset and fingerprints (or matches) of another were to be mixed."""


class TakedownTemplateError(LeaktrackError):
    """A takedown notice template is missing or does not render."""
