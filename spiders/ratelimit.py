"""Rate limits of the APIs we sweep, read from their answers' headers and obeyed.

The APIs say how many requests are left and when the window resets, in three dialects:

- GitHub: ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (UTC epoch seconds);
- GitLab: ``RateLimit-Remaining`` and ``RateLimit-Reset`` (UTC epoch seconds);
- Brave Search: ``X-RateLimit-Remaining: 1, 1000`` and ``X-RateLimit-Reset: 1, 1419704``, one
  entry per window (per second, per month), the reset in seconds from now.

A reset value above ``EPOCH_THRESHOLD`` is an epoch time, a smaller one a number of seconds
from now. When a window has no requests left, the source's next requests wait until it resets.
A refusal for rate limiting (429, or 403 with no requests left, a ``Retry-After``, or GitHub's
"secondary rate limit" message) is retried after the wait the API asks for, as GitHub documents
it: ``Retry-After`` first, else the reset time when nothing is left, else at least
``LEAKTRACK_API_SECONDARY_WAIT`` seconds, doubled at each further refusal. A wait longer than
``LEAKTRACK_API_MAX_WAIT``, or more than ``LEAKTRACK_API_RATE_LIMIT_RETRIES`` refusals of one
request, gives up: the refusal is counted as an HTTP error, and source health reports the source
as refused. A 403 without any of these signs is a permission error (a token without the scope),
not retried. A refusal that says the quota for the day is spent (Google's "Queries per day",
``dailyLimitExceeded``) is given up at once: waiting would hold the sweep for hours.

Only requests of the API kinds (meta ``META_API``) are looked at; the wait is per source (a
token's limits are the source's).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from .meta import META_API, META_SOURCE
from .middlewares import retry_after_seconds

logger = logging.getLogger(__name__)

# Reset values above this are UTC epoch seconds (2001-09-09); below, seconds from now.
EPOCH_THRESHOLD = 1_000_000_000
REMAINING_HEADERS = (b"X-RateLimit-Remaining", b"RateLimit-Remaining")
RESET_HEADERS = (b"X-RateLimit-Reset", b"RateLimit-Reset")
RATE_LIMIT_STATUSES = (403, 429)
# How APIs word a rate-limit refusal that carries no headers (GitHub's secondary limits).
RATE_LIMIT_WORDS = (b"rate limit", b"abuse detection")
# How APIs word a refusal for a daily quota (Google APIs' RESOURCE_EXHAUSTED messages).
DAILY_QUOTA_WORDS = (b"per day", b"dailylimitexceeded")
META_REFUSALS = "leaktrack_rate_limit_refusals"


@dataclass
class RateLimit:
    """What one answer says about its source's rate limit (None: it did not say)."""

    exhausted_for: float | None = None  # seconds until a window with nothing left resets
    retry_after: float | None = None

    @property
    def exhausted(self) -> bool:
        return self.exhausted_for is not None


def rate_limit_of(response: Response, now: float) -> RateLimit:
    remaining = _numbers(_first_header(response, REMAINING_HEADERS))
    resets = _numbers(_first_header(response, RESET_HEADERS))
    waits = [
        _seconds_until(reset, now)
        for left, reset in zip(remaining, resets, strict=False)
        if left is not None and left <= 0
    ]
    exhausted = max(waits) if waits else (0.0 if any(left == 0 for left in remaining) else None)
    return RateLimit(exhausted_for=exhausted, retry_after=_retry_after(response))


def is_rate_limit_refusal(response: Response, limit: RateLimit) -> bool:
    if response.status not in RATE_LIMIT_STATUSES:
        return False
    if response.status == 429 or limit.exhausted or limit.retry_after is not None:
        return True
    body = response.body[:2000].lower()
    return any(words in body for words in RATE_LIMIT_WORDS)


def is_daily_quota_refusal(response: Response) -> bool:
    body = response.body[:2000].lower()
    return any(words in body for words in DAILY_QUOTA_WORDS)


def refusal_wait(limit: RateLimit, refusals: int, secondary_wait: float) -> float:
    """Seconds to wait before asking again, after ``refusals`` earlier refusals of the request."""
    if limit.retry_after is not None:
        return limit.retry_after
    if limit.exhausted_for:  # 0: nothing left but no reset time given
        return limit.exhausted_for
    return secondary_wait * 2**refusals


class ApiRateLimit:
    """Downloader middleware: waits out exhausted windows and retries rate-limit refusals."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.max_wait = settings.getfloat("LEAKTRACK_API_MAX_WAIT")
        self.secondary_wait = settings.getfloat("LEAKTRACK_API_SECONDARY_WAIT")
        self.max_refusals = settings.getint("LEAKTRACK_API_RATE_LIMIT_RETRIES")
        self.stats = crawler.stats
        self.resume_at: dict[str, float] = {}  # source -> epoch time its next request may go

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        if not request.meta.get(META_API):
            return None
        wait = self.resume_at.get(request.meta.get(META_SOURCE, ""), 0.0) - time.time()
        if wait > 0:
            from twisted.internet import reactor  # the installed one; importing early would pick a default

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return None

    def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:
        if not request.meta.get(META_API):
            return response
        now = time.time()
        source = request.meta.get(META_SOURCE, "")
        limit = rate_limit_of(response, now)
        if limit.exhausted_for:
            self.pause(source, now + limit.exhausted_for)
        if not is_rate_limit_refusal(response, limit):
            return response
        refusals = request.meta.get(META_REFUSALS, 0)
        if is_daily_quota_refusal(response):
            logger.warning("%s: the API's quota for the day is spent (%s), giving up", source, request.url)
            request.meta["dont_retry"] = True
            return response
        wait = refusal_wait(limit, refusals, self.secondary_wait)
        if refusals >= self.max_refusals or wait > self.max_wait:
            logger.warning(
                "%s: rate limited by %s, giving up (would wait %.0f s, refused %d times)",
                source,
                request.url,
                wait,
                refusals + 1,
            )
            request.meta["dont_retry"] = True  # an error now; Scrapy's retry would just ask again
            return response
        self.stats.inc_value("leaktrack/rate_limit_waits")
        logger.info("%s: rate limited (HTTP %d), waiting %.1f s", source, response.status, wait)
        self.pause(source, now + wait)
        retry = request.replace(dont_filter=True)
        retry.meta[META_REFUSALS] = refusals + 1
        return retry

    def pause(self, source: str, until: float) -> None:
        self.resume_at[source] = max(self.resume_at.get(source, 0.0), until)


def _first_header(response: Response, names: tuple[bytes, ...]) -> str | None:
    for name in names:
        value = response.headers.get(name)
        if value:
            return value.decode("latin-1")
    return None


def _numbers(value: str | None) -> list[float | None]:
    if not value:
        return []
    numbers: list[float | None] = []
    for part in value.split(","):
        try:
            numbers.append(float(part.strip()))
        except ValueError:
            numbers.append(None)
    return numbers


def _seconds_until(reset: float | None, now: float) -> float:
    if reset is None:
        return 0.0
    return max(0.0, reset - now) if reset > EPOCH_THRESHOLD else max(0.0, reset)


def _retry_after(response: Response) -> float | None:
    return retry_after_seconds(response.headers.get(b"Retry-After"))
