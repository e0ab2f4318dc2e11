"""What a request brings in, checked: query strings, forms, filters, the page cursor, redirects.

Everything here is untrusted: a bad value is a 400 (or 413/415) page, never a traceback.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..index import STATUSES
from ..index.desk import QUEUE_SORTS, QueueFilter
from . import settings


def check_query_string(request: Request) -> None:
    for key, value in request.query_params.multi_items():
        if len(key) > settings.MAX_QUERY_VALUE_CHARS or len(value) > settings.MAX_QUERY_VALUE_CHARS:
            raise HTTPException(400, "A value in the address is too long.")
        if "\x00" in key or "\x00" in value:
            raise HTTPException(400, "The address holds a NUL character.")


async def read_form(request: Request) -> dict[str, str]:
    """A small URL-encoded form, read at most ``MAX_FORM_BYTES`` (413 beyond)."""
    declared = request.headers.get("content-length")
    if declared and (not declared.isdigit() or int(declared) > settings.MAX_FORM_BYTES):
        raise HTTPException(413, "This form is too large.")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Forms must be sent URL-encoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.MAX_FORM_BYTES:
            raise HTTPException(413, "This form is too large.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=settings.MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "This form is malformed.") from None
    if any("\x00" in value for _, value in pairs):
        raise HTTPException(400, "This form holds a NUL character.")
    return dict(pairs)


def int_field(values, name: str) -> int | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(400, f"{name} must be a whole number.")
    return int(raw)


def _day(values, name: str) -> datetime | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise HTTPException(400, f"{name} must be a date like 2026-03-01.") from None


def queue_params(request: Request) -> tuple[QueueFilter, str, tuple | None]:
    values = request.query_params
    status = values.get("status") or None
    if status is not None and status not in STATUSES:
        raise HTTPException(400, f"Unknown status; use one of {', '.join(STATUSES)}.")
    sort = values.get("sort") or "records"
    if sort not in QUEUE_SORTS:
        raise HTTPException(400, f"Unknown order; use one of {', '.join(QUEUE_SORTS)}.")
    seen_to = _day(values, "first_seen_to")
    where = QueueFilter(
        status=status,
        source=(values.get("source") or "").strip() or None,
        host=(values.get("host") or "").strip().lower() or None,
        min_records=int_field(values, "min_records") or 0,
        first_seen_from=_day(values, "first_seen_from"),
        first_seen_to=seen_to + timedelta(days=1) if seen_to else None,  # the "to" day is included
    )
    return where, sort, decode_after(values.get("after"))


def encode_after(after: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(after)).encode()).decode().rstrip("=")


def decode_after(raw: str | None, size: int = 2) -> tuple | None:
    """The page cursor from the address: ``size`` scalars (the queue: sort value and match id;
    an exposure: the copy id), else 400."""
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, TypeError):
        raise HTTPException(400, "This page link is broken; start from the first page.") from None
    scalars = (str, int, float)
    if not (isinstance(value, list) and len(value) == size and all(isinstance(v, scalars) for v in value)):
        raise HTTPException(400, "This page link is broken; start from the first page.")
    return tuple(value)


def exposure_params(request: Request) -> tuple[str, str | None]:
    """The record id and the exposure page's cursor (a copy id), else 400."""
    values = request.query_params
    record_id = values.get("record", "").strip()
    after = decode_after(values.get("after"), size=1)
    if after is None:
        return record_id, None
    if not record_id or not isinstance(after[0], str):
        raise HTTPException(400, "This page link is broken; start from the first page.")
    return record_id, after[0]


def without_after(request: Request) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "after"])


def next_page_link(request: Request, after: tuple, path: str = "/queue") -> str:
    return f"{path}?" + urlencode([*parse_qsl(without_after(request)), ("after", encode_after(after))])


def safe_next(request: Request, given: str | None = None) -> str:
    """Where to go after logging in: a path of this site only (never //evil or http://evil)."""
    target = given if given is not None else request.query_params.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def contact_for(host: str):
    """The host's abuse contact from the platform table (as ``queue show`` gives it), or None."""
    from ..takedown.platforms import platform_contact

    return platform_contact(host)
