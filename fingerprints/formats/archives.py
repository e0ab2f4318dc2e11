"""Archives: ZIP, GZIP (so .tar.gz too) and TAR, opened with suspicion.

Sizes are counted while streaming, never taken from headers; every member goes back through
the dispatcher (``Reading.extract``) one level deeper.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from typing import TYPE_CHECKING

from . import limits
from .limits import DocumentRefused, describe

if TYPE_CHECKING:
    from .extractor import Reading

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"
_TAR_MAGIC = b"ustar"  # at offset 257 of a POSIX or GNU tar header


def is_tar(data: bytes) -> bool:
    return data[257:262] == _TAR_MAGIC


def open_zip(
    reading: Reading, data: bytes, name: str
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]] | None:
    """The archive and its file members, or None (and a skip reason) when it is corrupt."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        reading.skip(name, f"corrupt zip ({describe(error)})")
        return None
    return archive, members


def extract_zip_members(
    reading: Reading, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], name: str, depth: int
) -> None:
    reading.check_depth(name, depth)
    reading.count_members(name, len(members))
    for info in members:
        member_name = f"{name}::{info.filename}"
        member_data = read_zip_member(reading, archive, info, member_name)
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
    except DocumentRefused:
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


def extract_gzip(reading: Reading, data: bytes, name: str, depth: int) -> None:
    reading.check_depth(name, depth)
    reading.count_members(name, 1)
    inner_name = name[:-3] if name.lower().endswith(".gz") else f"{name}::gunzipped"
    inner, error = _gunzip(reading, data, name)
    if error:
        reading.skip(name, f"corrupt gzip ({error})" + (", kept what decompressed" if inner else ""))
    if inner:
        reading.extract(inner, inner_name, None, depth + 1)


def extract_tar(reading: Reading, data: bytes, name: str, depth: int) -> None:
    # A tar is not compressed: its members are no larger than the tar itself, which is
    # already within the limits; only their count and nesting need watching.
    reading.check_depth(name, depth)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive:
                reading.count_members(name, 1)
                stream = archive.extractfile(member) if member.isfile() else None
                if stream is not None:
                    member_data = stream.read()
                    reading.spend(name, len(member_data))
                    reading.extract(member_data, f"{name}::{member.name}", None, depth + 1)
    except (tarfile.TarError, EOFError, OSError) as error:
        reading.skip(name, f"corrupt tar ({describe(error)})")


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
