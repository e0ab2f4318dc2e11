"""Files handed to responders (exports, notices) hold evidence: created owner-only."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

from ..errors import StoreError
from . import settings


def open_owner_only(path: Path, newline: str | None = None) -> TextIO:
    """Open ``path`` for writing (truncating it) with mode 0o600, whatever the umask."""
    kept = _kind_never_overwritten(path)  # `--out .leaktrack/matches.db` would wipe the match store
    if kept:
        raise StoreError(f"will not overwrite {path}: it is {kept}")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, settings.EVIDENCE_FILE_MODE)
        if stat.S_ISREG(os.fstat(descriptor).st_mode):  # never chmod a device: --out /dev/null as root
            os.fchmod(
                descriptor, settings.EVIDENCE_FILE_MODE
            )  # an existing file keeps its old mode otherwise
    except OSError as error:
        raise StoreError(f"cannot write {path}: {error.strerror}") from error
    return os.fdopen(descriptor, "w", encoding="utf-8", newline=newline)


def _kind_never_overwritten(path: Path) -> str | None:
    """What ``path`` is if it is a match store or a fingerprint file, else None."""
    if not os.path.isfile(path):  # never read a FIFO or a terminal (--out /dev/stdout): it would block
        return None
    try:
        with open(path, "rb") as existing:
            start = existing.read(16)
    except OSError:  # unreadable: os.open below says what is wrong
        return None
    return next((kind for header, kind in NEVER_OVERWRITTEN.items() if start.startswith(header)), None)


NEVER_OVERWRITTEN = {
    b"SQLite format 3\x00": "an SQLite database (a match store?)",
    b"LTFP": "a leaktrack fingerprint file",
}
