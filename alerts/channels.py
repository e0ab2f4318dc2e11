"""Where alerts go: apprise URLs (mailto://, slack://, msteams://, mmost://, matrix://, ...) and a
generic JSON webhook signed with HMAC-SHA256.

Webhook URLs are written ``webhook+https://host/path`` (or ``webhook+http://``). The body is the
JSON message; ``X-Leaktrack-Timestamp`` is the Unix time of sending and ``X-Leaktrack-Signature``
is ``sha256=`` + hex HMAC-SHA256 of ``<timestamp>.<body>`` under the shared secret, so a receiver
can check both origin and freshness (``verify_signature``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..errors import LeaktrackError

WEBHOOK_PREFIX = "webhook+"
SIGNATURE_HEADER = "X-Leaktrack-Signature"
TIMESTAMP_HEADER = "X-Leaktrack-Timestamp"
TIMEOUT_SECONDS = 10.0


class AlertChannelError(LeaktrackError):
    """An alert channel refused or could not be reached."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), given)


@dataclass
class WebhookChannel:
    url: str
    secret: str

    @property
    def name(self) -> str:
        return f"webhook {self.url.split('?')[0]}"

    def send(self, title: str, text: str, message: dict) -> None:
        body = json.dumps(message, sort_keys=True).encode("utf-8")
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                answer.read(1024)
        except urllib.error.HTTPError as error:
            raise AlertChannelError(f"{self.name}: HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise AlertChannelError(f"{self.name}: {getattr(error, 'reason', error)}") from None


@dataclass
class AppriseChannel:
    url: str

    @property
    def name(self) -> str:
        return self.url.split("://", 1)[0] + "://…"  # never the credentials an apprise URL carries

    def send(self, title: str, text: str, message: dict) -> None:
        import apprise

        sender = apprise.Apprise()
        if not sender.add(self.url):
            raise AlertChannelError(f"{self.name}: not an alert URL apprise understands")
        if not sender.notify(title=title, body=text):
            raise AlertChannelError(f"{self.name}: the service did not take the alert")


def channel_for(url: str, webhook_secret: str | None):
    if url.startswith(WEBHOOK_PREFIX):
        if not webhook_secret:
            raise AlertChannelError("a webhook alert needs a signing secret (LEAKTRACK_WEBHOOK_SECRET)")
        return WebhookChannel(url[len(WEBHOOK_PREFIX) :], webhook_secret)
    return AppriseChannel(url)
