"""Small guarded HTTP GETs for contact lookups (RDAP, security.txt).

Every address a request goes to, the first one and every redirect, is resolved and refused if
it is private, loopback, link-local or otherwise not public, unless its origin was allowed
explicitly (a responder's own RDAP mirror; the tests' servers on 127.0.0.1). A lookup answer is
untrusted: the body is read up to a limit, and the time a request may take is bounded.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import settings


class LookupFailed(Exception):
    """A lookup got no usable answer; ``str()`` is the one-line reason shown to the user."""


@dataclass
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    if _literal_address(host):
        return _literal_address(host)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise LookupFailed(f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))  # the address of (address, port, ...)


def _literal_address(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return []


def is_public_address(address: str) -> bool:
    return ipaddress.ip_address(address).is_global


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = settings.LOOKUP_MAX_REDIRECTS

    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: N802 - urllib's name
        self.fetcher.check_url(newurl)  # raises LookupFailed: the redirect is not followed
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """GETs with a timeout, a size limit, at most ``settings.LOOKUP_MAX_REDIRECTS`` redirects,
    and no request to a non-public address outside ``allowed_origins``."""

    def __init__(
        self,
        allowed_origins: Iterable[str] = (),
        timeout: float = settings.LOOKUP_TIMEOUT_SECONDS,
        max_bytes: int = settings.LOOKUP_MAX_BYTES,
        resolve: Callable[[str], list[str]] = resolve_host,
    ):
        self.allowed_origins = {origin_of(origin) for origin in allowed_origins}
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.resolve = resolve
        self._opener = urllib.request.build_opener(_GuardedRedirects(self))

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LookupFailed(f"refused {url[:200]}: not an http(s) URL")
        if origin_of(url) in self.allowed_origins:
            return
        for address in _literal_address(parts.hostname) or self.resolve(parts.hostname):
            if not is_public_address(address):
                raise LookupFailed(f"refused {origin_of(url)}: {address} is not a public address")

    def get(self, url: str, accept: str) -> Response:
        self.check_url(url)
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": settings.USER_AGENT})
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                body = answer.read(self.max_bytes + 1)
                status, final_url = answer.status, answer.geturl()
                content_type = answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            return Response(error.geturl() or url, error.code, error.headers.get("Content-Type", ""), b"")
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, LookupFailed):
                raise reason from None
            raise LookupFailed(f"{origin_of(url)}: {_network_reason(reason)}") from None
        except LookupFailed:
            raise
        except TimeoutError:
            raise LookupFailed(f"{origin_of(url)}: timed out after {self.timeout:g} s") from None
        except (OSError, ValueError) as error:  # a reset connection, a garbled status line
            raise LookupFailed(f"{origin_of(url)}: {type(error).__name__}: {error}") from None
        if len(body) > self.max_bytes:
            raise LookupFailed(f"{origin_of(url)}: answer larger than {self.max_bytes} bytes")
        return Response(final_url, status, content_type, body)


def _network_reason(reason: object) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(reason)[:200]
