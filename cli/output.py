"""Where command output goes: --out files and standard output, safely.

- An ``--out`` file is never a file leaktrack keeps (key, fingerprints, store, crawl state,
  sweep lock, config, sources, evidence), nor another home's store or fingerprint file.
- An existing file is replaced only with ``--force``, and atomically: the output goes to an
  owner-only temporary file beside it, renamed over it when complete, so a full disk or a
  Ctrl-C never leaves half a file.
- Standard output: a reader that goes away (``| head``) ends the command quietly with exit 0;
  a full disk is a one-line error, and a regular file stdout was redirected to is cut back
  to what it held before (``guard_stdout``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from ..errors import OutputError
from ..home import Workspace

OWNER_ONLY = 0o600
# Files of another home are known by their first bytes.
KEPT_BY_HEADER = {
    b"SQLite format 3\x00": "an SQLite database (a match store?)",
    b"LTFP": "a leaktrack fingerprint file",
}


def kept_file_kind(path: Path, workspace: Workspace) -> str | None:
    """What ``path`` is, if leaktrack keeps it; None if output may go there."""
    target = path.resolve()  # through symlinks: a link to the key is the key
    for kept, kind in workspace.kept_files().items():
        if target == kept.resolve() or _same_file(path, kept):
            return kind
    for folder, kind in workspace.kept_folders().items():
        if target.is_relative_to(folder.resolve()):
            return f"in the {kind} folder {folder}"
    return _kind_by_header(path)


def _same_file(path: Path, other: Path) -> bool:
    """A hard link to a kept file is that file."""
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist
        return False


def _kind_by_header(path: Path) -> str | None:
    if not path.is_file():  # never read a FIFO or a terminal (--out /dev/stdout): it would block
        return None
    try:
        with open(path, "rb") as existing:
            start = existing.read(16)
    except OSError:  # unreadable: writing says what is wrong
        return None
    return next((kind for header, kind in KEPT_BY_HEADER.items() if start.startswith(header)), None)


def check_output_path(path: Path, workspace: Workspace, force: bool) -> None:
    """Refuse an output path leaktrack keeps, or an existing file without --force."""
    kind = kept_file_kind(path, workspace)
    if kind:
        raise OutputError(f"will not write over {path}: it is {kind} leaktrack keeps")
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    if path.is_file() and not force:
        raise OutputError(f"{path} exists: add --force to replace it")


@contextmanager
def output_file(
    path: Path, workspace: Workspace, force: bool = False, newline: str | None = None
) -> Iterator[TextIO]:
    """A text stream to ``path``, owner-only; the file appears whole or not at all."""
    check_output_path(path, workspace, force)
    if path.exists() and not path.is_file():  # a device or FIFO (/dev/null, a named pipe): no rename
        with _open_error(path), open(path, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
        return
    with replace_atomically(path, newline) as stream:
        yield stream


@contextmanager
def replace_atomically(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """Write an owner-only temporary file beside ``path``, renamed over it once complete."""
    with _open_error(path):
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with _open_error(path):
            with os.fdopen(descriptor, "w", encoding="utf-8", newline=newline) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, OWNER_ONLY)
            os.replace(temporary, path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)


@contextmanager
def output_stream(
    path: Path | None, workspace: Workspace, force: bool = False, newline: str | None = None
) -> Iterator[TextIO]:
    """``output_file(path)``, or standard output when no path is given."""
    if path is None:
        yield sys.stdout
        return
    with output_file(path, workspace, force, newline) as stream:
        yield stream


@contextmanager
def _open_error(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


class StdoutGuard:
    """Standard output for the whole command: a closed pipe is a quiet end, a full disk one line."""

    def __init__(self) -> None:
        self.start = _regular_file_offset(sys.stdout)

    def reader_gone(self) -> None:
        """``| head`` closed the pipe: the rest of the output goes nowhere, quietly."""
        with suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def write_failed(self, error: OSError) -> OutputError:
        """Stdout could not be written (disk full): cut a redirected file back, say so in one line."""
        if self.start is not None:
            with suppress(OSError, ValueError):
                os.ftruncate(sys.stdout.fileno(), self.start)
        return OutputError(f"cannot write the output: {error.strerror or error}")


def _regular_file_offset(stream: TextIO) -> int | None:
    """Where a redirected regular file stood when the command began; None for a pipe or terminal."""
    try:
        descriptor = stream.fileno()
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None
        if fcntl.fcntl(descriptor, fcntl.F_GETFL) & os.O_APPEND:  # `>> file`: every write goes at the end
            return status.st_size
        return os.lseek(descriptor, 0, os.SEEK_CUR)
    except (OSError, ValueError, AttributeError):  # CliRunner's stdout has no descriptor
        return None


WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}
