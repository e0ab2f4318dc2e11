"""Archives: ZIP, 7z, TAR, and the compressed streams GZIP, BZIP2 and XZ (so .tar.gz,
.tar.bz2, .tar.xz), opened with suspicion.

Sizes are counted while streaming, never taken from headers; every member goes back through
the dispatcher (``Reading.extract``) one level deeper. Members are read largest first (by
the size the header claims: a lie only changes the order), so that a thousand one-byte
members or one bomb member cannot use up the budget before the table is read.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import limits
from .limits import LimitReached, MemberLimit, describe
from .sniff import GZIP_MAGIC, XZ_MAGIC

if TYPE_CHECKING:
    from .extractor import Reading


def extract_zip(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """A zip archive, or an office document that is a zip of XML parts."""
    from . import office  # (office reads its parts with read_zip_member, below)

    opened = open_zip(reading, data, name)
    if opened is None:
        return
    archive, members = opened
    with archive:
        kind = office.zipped_office_kind(archive, members)
        if kind:
            office.extract_zipped_office(reading, kind, archive, members, data, name)
        else:
            extract_zip_members(reading, archive, members, name, depth)


def open_zip(
    reading: Reading, data: bytes, name: str
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]] | None:
    """The archive and its file members, or None (and a skip reason) when it is corrupt."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        reading.skip(name, f"corrupt zip ({describe(error)})")
        return None
    return archive, members


def extract_zip_members(
    reading: Reading, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], name: str, depth: int
) -> None:
    reading.check_depth(name, depth)
    for info in sorted(members, key=lambda info: -info.file_size):
        member_name = f"{name}::{info.filename}"
        reading.count_members(name)
        try:
            member_data = read_zip_member(reading, archive, info, member_name)
        except MemberLimit as limit:
            reading.limit_reasons.append(str(limit))
            continue
        if member_data is not None:
            reading.extract(member_data, member_name, None, depth + 1)


def read_zip_member(
    reading: Reading, archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_name: str, keep: bool = True
) -> bytes | None:
    """A member's bytes (b"" unless ``keep``), counted chunk by chunk against the limits;
    None if it cannot be read."""
    chunks: list[bytes] = []
    produced = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(limits.ARCHIVE_READ_CHUNK_BYTES):
                produced += len(chunk)
                # zipfile feeds the inflater at most compress_size bytes and fails at the
                # archive's end, so an overstated size cannot hide a bomb: this is a
                # measured ratio; an understated file_size stops zipfile early.
                reading.check_ratio(member_name, produced, info.compress_size)
                reading.spend(member_name, len(chunk))
                if keep:
                    chunks.append(chunk)
    except LimitReached:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as error:
        reading.skip(member_name, f"unreadable archive member ({describe(error)})")
        return None
    return b"".join(chunks)


# Suffix of a compressed stream -> suffix of what it holds.
_INNER_SUFFIXES = {
    ".gz": "",
    ".bz2": "",
    ".xz": "",
    ".tgz": ".tar",
    ".tbz2": ".tar",
    ".tbz": ".tar",
    ".txz": ".tar",
}


def extract_compressed_stream(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """A gzip, bzip2 or xz stream: one member, decompressed chunk by chunk under the limits."""
    reading.check_depth(name, depth)
    reading.count_members(name)
    if data.startswith(GZIP_MAGIC):
        kind, (inner, error) = "gzip", _gunzip(reading, data, name)
    elif data.startswith(XZ_MAGIC):
        kind, (inner, error) = "xz", _unpack(reading, data, name, lzma.LZMADecompressor, lzma.LZMAError)
    else:
        kind, (inner, error) = "bzip2", _unpack(reading, data, name, bz2.BZ2Decompressor, OSError)
    if error:
        reading.skip(name, f"corrupt {kind} ({error})" + (", kept what decompressed" if inner else ""))
    if inner:
        reading.extract(inner, _inner_name(name), None, depth + 1)


def _inner_name(name: str) -> str:
    lowered = name.lower()
    for suffix, inner in _INNER_SUFFIXES.items():
        if lowered.endswith(suffix):
            return name[: -len(suffix)] + inner
    return f"{name}::decompressed"


def _unpack(
    reading: Reading, data: bytes, name: str, decompressor_type: Callable, error_type: type[Exception]
) -> tuple[bytes, str | None]:
    """Decompress a bzip2 or xz stream (every concatenated stream), a chunk at a time."""
    out: list[bytes] = []
    produced = 0
    remaining = data
    try:
        while remaining:
            decompressor = decompressor_type()
            chunk = decompressor.decompress(remaining, limits.ARCHIVE_READ_CHUNK_BYTES)
            while True:
                produced += len(chunk)
                reading.check_ratio(name, produced, len(data))
                reading.spend(name, len(chunk))
                out.append(chunk)
                if decompressor.eof or decompressor.needs_input:
                    break
                chunk = decompressor.decompress(b"", limits.ARCHIVE_READ_CHUNK_BYTES)
            if not decompressor.eof:
                return b"".join(out), "truncated"
            remaining = decompressor.unused_data
    except error_type as error:
        return b"".join(out), describe(error)
    return b"".join(out), None


def extract_tar(reading: Reading, data: bytes, name: str, depth: int) -> None:
    # A tar is not compressed: its members are no larger than the tar itself, which is
    # already within the limits; only their count and nesting need watching.
    reading.check_depth(name, depth)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except (tarfile.TarError, EOFError, OSError) as error:
        reading.skip(name, f"corrupt tar ({describe(error)})")
        return
    with archive:
        files: list[tarfile.TarInfo] = []
        try:
            files.extend(member for member in archive if member.isfile())
        except (tarfile.TarError, EOFError, OSError) as error:
            reading.skip(name, f"corrupt tar ({describe(error)})")
        for member in sorted(files, key=lambda member: -member.size):
            reading.count_members(name)
            try:
                stream = archive.extractfile(member)
                member_data = stream.read() if stream is not None else b""
            except (tarfile.TarError, EOFError, OSError) as error:
                reading.skip(f"{name}::{member.name}", f"unreadable archive member ({describe(error)})")
                continue
            reading.spend(name, len(member_data))
            reading.extract(member_data, f"{name}::{member.name}", None, depth + 1)


def extract_7z(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """A 7z archive: members inflated into counting writers, so a bomb stops at the limit."""
    import py7zr

    reading.check_depth(name, depth)
    try:
        with py7zr.SevenZipFile(io.BytesIO(data), mode="r") as archive:
            if archive.needs_password():
                reading.skip(name, "encrypted 7z archive")
                return
            files = sorted((i for i in archive.list() if not i.is_directory), key=lambda i: -i.uncompressed)
            targets = []
            for info in files:
                reading.count_members(name)
                targets.append(info.filename)
            finished: list[tuple[str, bytes]] = []
            try:
                archive.extract(targets=targets, factory=_CountingFactory(reading, name, len(data), finished))
            finally:
                for member, member_data in finished:
                    reading.extract(member_data, f"{name}::{member}", None, depth + 1)
    except LimitReached:
        raise
    except (py7zr.exceptions.ArchiveError, lzma.LZMAError, EOFError, OSError, ValueError, KeyError) as error:
        reading.skip(name, f"corrupt 7z ({describe(error)})")
    except Exception as error:  # py7zr raises many types (bad headers, unsupported filters)
        reading.skip(name, f"unreadable 7z ({type(error).__name__})")


class _CountingFactory:
    """py7zr's writer factory: every byte written is counted against the budget, and each
    finished member is kept for reading once py7zr is done."""

    def __init__(self, reading: Reading, name: str, compressed: int, finished: list[tuple[str, bytes]]):
        self.reading, self.name, self.compressed, self.finished = reading, name, compressed, finished
        self.produced = 0

    def create(self, filename: str) -> _CountingWriter:
        return _CountingWriter(self, filename)

    def count(self, filename: str, size: int) -> None:
        self.produced += size
        self.reading.check_ratio(f"{self.name}::{filename}", self.produced, self.compressed)
        self.reading.spend(self.name, size)


class _CountingWriter:
    """The file-like object py7zr writes one member into (its Py7zIO protocol)."""

    def __init__(self, factory: _CountingFactory, filename: str):
        self.factory, self.filename = factory, filename
        self.buffer = io.BytesIO()

    def write(self, data: bytes | bytearray) -> int:
        self.factory.count(self.filename, len(data))
        return self.buffer.write(data)

    def read(self, size: int | None = None) -> bytes:
        return self.buffer.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.buffer.seek(offset, whence)

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.buffer.getbuffer().nbytes

    def close(self) -> None:
        self.factory.finished.append((self.filename, self.buffer.getvalue()))


def _gunzip(reading: Reading, data: bytes, name: str) -> tuple[bytes, str | None]:
    """Decompress every gzip member, never producing more than one chunk past the limits."""
    out: list[bytes] = []
    produced = 0
    consumed = 0
    remaining = data
    try:
        while remaining:
            decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            pending = remaining
            while pending and not decompressor.eof:
                chunk = decompressor.decompress(pending, limits.ARCHIVE_READ_CHUNK_BYTES)
                consumed += len(pending) - len(decompressor.unconsumed_tail)
                pending = decompressor.unconsumed_tail
                produced += len(chunk)
                reading.check_ratio(name, produced, consumed)
                reading.spend(name, len(chunk))
                out.append(chunk)
            if not decompressor.eof:
                return b"".join(out), "truncated"
            remaining = decompressor.unused_data
            if remaining and not remaining.startswith(GZIP_MAGIC):
                break  # trailing garbage after the last member, as gzip(1) tolerates
    except zlib.error as error:
        return b"".join(out), str(error)
    return b"".join(out), None
