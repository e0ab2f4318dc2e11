"""Mail: ``.eml`` messages and ``.mbox`` files; text and HTML bodies, and every attachment
(base64 and quoted-printable decoded by the standard library's ``email``) back through the
dispatcher, one level deeper. MIME parts nest at most ``limits.max_mime_depth`` deep."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, MIMEPart
from typing import TYPE_CHECKING

from .limits import describe

if TYPE_CHECKING:
    from .extractor import Reading

_MBOX_SEPARATOR = re.compile(rb"^From [^\n]*\n", re.M)


def extract_mail(reading: Reading, data: bytes, name: str, depth: int) -> None:
    messages = _mbox_messages(data) if data.startswith(b"From ") else [data]
    for number, message_bytes in enumerate(messages, start=1):
        message_name = name if len(messages) == 1 else f"{name}::message{number}"
        reading.count_members(name)
        try:
            message = email.message_from_bytes(message_bytes, EmailMessage, policy=email.policy.default)
            _extract_part(reading, message, message_name, depth, mime_depth=1)
        except RecursionError:
            _read_raw(reading, message_bytes, message_name, depth)


def _read_raw(reading: Reading, message_bytes: bytes, name: str, depth: int) -> None:
    """A message whose MIME structure is too deep to parse is read as plain text: its text
    parts as they are, its base64 attachments by the base64 reader."""
    from . import base64text
    from .text import text_to_lines
    from .textcodec import decode_text

    reading.skip(name, "MIME parts nested too deeply to parse: read as plain text")
    text = decode_text(message_bytes)
    if text is None:
        return
    reading.add(name, "text", text_to_lines(text, "", "text/plain")[1])
    base64text.extract_base64_runs(reading, text, name, depth)


def _mbox_messages(data: bytes) -> list[bytes]:
    """The messages of an mbox, the ">From " quoting of body lines undone."""
    parts = _MBOX_SEPARATOR.split(data)
    return [re.sub(rb"^>(>*From )", rb"\1", part, flags=re.M) for part in parts if part.strip()]


def _extract_part(reading: Reading, part: MIMEPart, name: str, depth: int, mime_depth: int) -> None:
    if mime_depth > reading.limits.max_mime_depth:
        reading.limit_reasons.append(f"{name} nests MIME parts deeper than {reading.limits.max_mime_depth}")
        return
    if part.is_multipart():
        for number, child in enumerate(part.iter_parts(), start=1):
            _extract_part(reading, child, f"{name}::part{number}", depth, mime_depth + 1)
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        for attached in inner if isinstance(inner, list) else [inner]:
            if isinstance(attached, MIMEPart):  # (the default policy parses every part as one)
                _extract_part(reading, attached, f"{name}::attached", depth, mime_depth + 1)
        return
    _extract_leaf(reading, part, name, content_type, depth)


def _extract_leaf(reading: Reading, part: MIMEPart, name: str, content_type: str, depth: int) -> None:
    filename = part.get_filename()
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError, AssertionError) as error:
        reading.skip(name, f"undecodable MIME part ({describe(error)})")
        return
    if not payload or not isinstance(payload, bytes):  # decode=True gives bytes for a leaf
        return
    reading.spend(name, len(payload))
    if filename:
        reading.count_members(name)
        reading.extract(payload, f"{name}::{filename}", content_type, depth + 1)
    else:
        charset = part.get_content_charset()
        if charset and content_type.startswith("text/"):
            try:
                payload = payload.decode(charset).encode("utf-8")
            except (LookupError, UnicodeDecodeError):
                pass  # textcodec guesses instead
        reading.extract(payload, name, content_type, depth)
