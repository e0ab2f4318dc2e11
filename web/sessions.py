"""Signed session cookies and CSRF tokens.

The cookie holds the user name, a CSRF token and when it was issued, signed with the desk's
secret (itsdangerous); it is HttpOnly, SameSite=Strict, and Secure whenever the request came
over TLS (directly, or through a reverse proxy that uvicorn trusts for X-Forwarded-Proto).
Every form carries the session's CSRF token; a POST without the right one is refused (403).
An anonymous visitor gets a session too (no user), so the login form has a token as well.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from . import settings


@dataclass
class Session:
    user: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    changed: bool = False

    def reset(self, user: str | None = None) -> None:
        """A fresh session (and CSRF token): at login, so a token seen before it is worth nothing after."""
        self.user, self.csrf, self.changed = user, secrets.token_urlsafe(32), True

    def csrf_matches(self, token: str | None) -> bool:
        if not token:
            return False
        return hmac.compare_digest(self.csrf, token)


class SessionCodec:
    def __init__(self, secret: bytes, max_age: int = settings.SESSION_MAX_AGE_SECONDS):
        self.signer = TimestampSigner(secret, salt="leaktrack-desk-session")
        self.max_age = max_age

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(settings.SESSION_COOKIE)
        if not raw:
            return Session(changed=True)
        try:
            data = json.loads(self.signer.unsign(raw, max_age=self.max_age))
            return Session(user=data.get("user"), csrf=str(data["csrf"]))
        except (BadSignature, ValueError, KeyError, TypeError):
            return Session(changed=True)

    def save(self, session: Session, request: Request, response: Response) -> None:
        if not session.changed:
            return
        value = self.signer.sign(json.dumps({"user": session.user, "csrf": session.csrf})).decode()
        response.set_cookie(
            settings.SESSION_COOKIE,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


def load_or_create_secret(path) -> bytes:
    """The desk's signing secret in ``path``, made owner-only (0600) on first use."""
    import os
    from pathlib import Path

    path = Path(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes().strip()
        if len(secret) >= settings.SECRET_BYTES:
            return secret
        raise ValueError(f"{path} is not a desk secret (too short); delete it to make a new one") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_hex(settings.SECRET_BYTES).encode())
    return path.read_bytes().strip()
