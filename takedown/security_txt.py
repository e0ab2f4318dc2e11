"""security.txt (RFC 9116): the contact a site publishes at ``/.well-known/security.txt``.

Only ``Contact:`` lines are used (``mailto:`` addresses and ``https:`` forms). A file past its
``Expires:`` date is stale (RFC 9116 section 2.5.5: it "SHOULD NOT" be used) and gives no contact.
The file must come over HTTPS (section 3): for a copy on a plain-HTTP site it is asked at
``https://`` of the same host; plain HTTP is read only when asked for (tests).
A signed file (``-----BEGIN PGP SIGNED MESSAGE-----``) is read for its fields; the signature is
not checked.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from ..index.base import as_utc
from .contacts import Contact
from .fetch import Fetcher, LookupFailed

WELL_KNOWN_PATH = "/.well-known/security.txt"


def parse_security_txt(text: str) -> tuple[list[str], datetime | None]:
    """The Contact URIs in order, and the Expires time (None if absent or unreadable)."""
    contacts: list[str] = []
    expires: datetime | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, value = (part.strip() for part in line.split(":", 1))
        if name.lower() == "contact" and value:
            contacts.append(value)
        elif name.lower() == "expires" and expires is None:
            try:
                expires = as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                expires = None
    return contacts, expires


def contacts_from_security_txt(text: str, source_url: str, found_at: datetime, host: str) -> list[Contact]:
    uris, expires = parse_security_txt(text)
    if expires is not None and expires <= found_at:
        raise LookupFailed(f"{source_url} expired on {expires:%Y-%m-%d} (RFC 9116: do not use)")
    contacts = []
    for uri in uris:
        kind = uri.split(":", 1)[0].lower()
        email = uri[len("mailto:") :] if kind == "mailto" else None
        form = uri if kind == "https" else None
        if email and "@" not in email or not (email or form):
            continue  # tel: and the like: a notice cannot be sent there
        contacts.append(
            Contact(
                role="host",
                name=host,
                email=email,
                url=form,
                source=f"security.txt {source_url}",
                found_at=found_at,
                note="the site's own contact: on a site run by the uploader it reaches the uploader",
            )
        )
    if not contacts:
        raise LookupFailed(f"{source_url} names no mailto: or https: contact")
    return contacts


def fetch_security_txt(
    fetcher: Fetcher, origin: str, found_at: datetime, allow_http: bool = False
) -> list[Contact]:
    """The host contacts published by ``origin`` (``https://host[:port]``)."""
    parts = urlsplit(origin)
    if parts.scheme != "https" and not allow_http:
        # A copy served over plain HTTP: its host may still publish security.txt over HTTPS.
        parts = urlsplit(f"https://{parts.hostname}")
    url = f"{parts.scheme}://{parts.netloc}{WELL_KNOWN_PATH}"
    answer = fetcher.get(url, "text/plain")
    if answer.status != 200:
        raise LookupFailed(f"{url}: HTTP {answer.status}")
    if not answer.content_type.lower().startswith("text/plain"):
        # RFC 9116 section 3: served as text/plain; an HTML "not found" page with status 200 is not one.
        raise LookupFailed(f"{url} is not text/plain ({answer.content_type or 'no type'})")
    try:
        text = answer.body.decode("utf-8")
    except UnicodeDecodeError:
        raise LookupFailed(f"{url} is not UTF-8 text") from None
    return contacts_from_security_txt(text, answer.url, found_at, parts.hostname or "")
