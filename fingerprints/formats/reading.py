"""Reading untrusted input from a path with the size limit enforced while reading: regular
files, and, when asked, pipes, devices and sockets (``/dev/zero`` is refused after the limit,
not read until memory runs out; a named pipe with no writer reads as empty, never blocks)."""

from __future__ import annotations

import os
import select
import stat
from pathlib import Path
from typing import BinaryIO

from .limits import DocumentRefused

# A pipe that stays silent this long is given up (its writer may never write).
PIPE_IDLE_SECONDS = 60.0
_CHUNK = 1 << 20

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(DocumentRefused):
    """A pipe, device or socket given where a file was expected, without being allowed."""


def read_limited(
    path: str | Path, max_bytes: int, allow_special: bool = False, idle_seconds: float = PIPE_IDLE_SECONDS
) -> bytes:
    """The bytes of ``path``, refused (``DocumentRefused``) past ``max_bytes`` without reading
    further. Non-regular files are refused unless ``allow_special``. OSErrors propagate."""
    status = os.stat(path)  # stat never blocks, even on a named pipe
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        if not allow_special:
            raise NotRegularFile(
                f"{path} is {kind}, not a regular file: refused unless special files are allowed"
            )
        return _read_stream(path, max_bytes, idle_seconds)
    size = status.st_size
    if size > max_bytes:
        raise DocumentRefused(f"{path} is too large: {size:,} bytes > {max_bytes:,}")
    # Unbuffered: a buffered file asks whether it is a terminal and for its block size first
    # (two system calls a file, ~10% of the CLI's cost of a small file beside its scan).
    with open(path, "rb", buffering=0) as handle:
        # The size stat gave and a byte more (a read of max_bytes + 1 allocates that much
        # first: twice the cost of reading a small file); past it the file has grown since
        # stat, and is read on to the limit.
        data = _read_up_to(handle, size + 1)
        if len(data) > size:
            data += _read_up_to(handle, max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise DocumentRefused(f"{path} is too large: more than {max_bytes:,} bytes")
    return data


def _read_up_to(handle: BinaryIO, count: int) -> bytes:
    """``count`` bytes of an unbuffered file, or all that is left: as a buffered read gives
    them (a raw read may give fewer than asked, and an empty one only at the end)."""
    data = handle.read(count)
    while data and len(data) < count and (more := handle.read(count - len(data))):
        data += more
    return data


def _read_stream(path: str | Path, max_bytes: int, idle_seconds: float = PIPE_IDLE_SECONDS) -> bytes:
    """A pipe or device, read chunk by chunk. Opened with O_NONBLOCK so that opening a pipe
    with no writer returns at once; each read first waits (select) at most ``idle_seconds``
    for data: Linux reports a pipe that never had a writer as not ready, so a writer that
    comes late is still read, and one that never comes ends in a one-line refusal."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            ready, _, _ = select.select([descriptor], [], [], idle_seconds)
            if not ready:
                raise DocumentRefused(f"{path} sent nothing for {idle_seconds:g} s")
            try:
                chunk = os.read(descriptor, _CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > max_bytes:
                raise DocumentRefused(f"{path} is too large: more than {max_bytes:,} bytes")
            chunks.append(chunk)
    finally:
        os.close(descriptor)
