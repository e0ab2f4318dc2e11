"""Distributed sweeps: several ``leaktrack sweep`` workers sharing one crawl through Redis.

With ``--redis-url`` the workers use scrapy-redis's scheduler and duplicate filter, so the
requests of a sweep are queued in Redis and each page is fetched by exactly one worker.
Workers cooperate when they are given the same ``--redis-job`` name (e.g. cron passes the
hour: ``--redis-job $(date -u +%Y%m%dT%H)``); a new job name starts a fresh crawl, since the
duplicate filter remembers every page of its job. A job's keys expire after a week.

Redis with a password, and TLS: ``rediss://host:port/db?ssl_ca_certs=/path/ca.pem`` (a
``rediss://`` URL; the CA that signed the server's certificate, unless the system trusts it).
The password comes apart from the URL (``LEAKTRACK_REDIS_PASSWORD`` or the config file's
``[redis] password``; one in the URL is taken out of it too) and never enters Scrapy's
settings or a log line: the settings name the URL without credentials, and the Redis client
class the scheduler builds (``CredentialedRedis``) looks the credentials up in this process's
memory (``remember_credentials``).

The shared queue itself (claims, news of the queue, the end of a sweep) is ``redis_queue.py``,
which only the crawl process imports.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..errors import SourcesError

logger = logging.getLogger(__name__)

KEY_PREFIX = "leaktrack:{job}:"
JOB_KEY_TTL_SECONDS = 7 * 24 * 3600


def distributed_settings(redis_url: str, job: str | None) -> dict:
    """Scrapy settings that put the scheduler queue and duplicate filter of ``job`` in Redis.

    ``redis_url`` may hold credentials: the settings get the URL without them."""
    if not job:
        raise SourcesError("a distributed sweep needs a job name shared by its workers (--redis-job)")
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", job):
        raise SourcesError(f"redis job name {job!r} must be 1-100 letters, digits or . _ : -")
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SourcesError(f"{redis_url!r} is not a redis:// URL")
    prefix = KEY_PREFIX.format(job=job)
    public_url, _, _ = split_credentials(redis_url)
    return {
        "SCHEDULER": "leaktrack.spiders.redis_queue.SweepScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # Tells the scheduler when a claimed request is finished (redis_queue.py).
        "SPIDER_MIDDLEWARES": {"leaktrack.spiders.redis_queue.ClaimTracker": 0},
        "SCHEDULER_SERIALIZER": "leaktrack.spiders.redis_codec",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": public_url,
        "REDIS_PARAMS": {"redis_cls": "leaktrack.spiders.redis_queue.CredentialedRedis"},
        # Kept when a worker finishes: another worker of the same job may still be crawling.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": prefix + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + "%(spider)s:dupefilter",
    }


def split_credentials(redis_url: str) -> tuple[str, str | None, str | None]:
    """``redis_url`` without its user name and password, and those two (None when absent)."""
    parts = urlsplit(redis_url)
    if parts.password is None and parts.username is None:
        return redis_url, None, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return urlunsplit(parts._replace(netloc=netloc)), username, password


def with_password(redis_url: str, password: str | None) -> str:
    """The URL a worker connects to: ``password`` (from the Workspace) unless the URL has one."""
    if not password or split_credentials(redis_url)[2] is not None:
        return redis_url
    public_url, username, _ = split_credentials(redis_url)
    parts = urlsplit(public_url)
    user = quote(username or "", safe="")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{parts.netloc}"))


# Credentials of the Redis URLs this process connects to, by the URL without them
# (redis_queue.CredentialedRedis looks them up).
CREDENTIALS: dict[str, tuple[str | None, str | None]] = {}


def remember_credentials(redis_url: str) -> str:
    """Keep ``redis_url``'s credentials in this process's memory; returns the URL without them."""
    public_url, username, password = split_credentials(redis_url)
    if username is not None or password is not None:
        CREDENTIALS[public_url] = (username, password)
    return public_url


def tick_job_name(base: str, every_seconds: float, now: datetime) -> str:
    """The job name of a ``watch`` tick: ``base`` and the start of the interval ``now`` falls in
    (intervals counted from the Unix epoch), so workers watching on the same schedule share
    each tick's crawl, and every tick is a fresh crawl."""
    start = int(now.timestamp() // every_seconds * every_seconds)
    return f"{base}.{datetime.fromtimestamp(start, UTC):%Y%m%dT%H%M%S}"


def check_redis_reachable(redis_url: str, timeout: float = 5.0) -> None:
    """Fail with one line before the crawl starts when Redis does not answer or refuses our
    password (otherwise the scheduler fails inside Scrapy's start-up with tracebacks). The
    message names what redis-py says (host and port, never the password) and the URL without
    credentials."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    public_url = split_credentials(redis_url)[0]
    try:
        client.ping()
    except redis.exceptions.AuthenticationError as error:
        raise SourcesError(f"Redis at {public_url} refused our credentials: {error}") from None
    except redis.exceptions.RedisError as error:
        raise SourcesError(f"cannot reach Redis at {public_url}: {error}") from None
    finally:
        client.close()


def expire_job_keys(redis_url: str, job: str, seconds: int = JOB_KEY_TTL_SECONDS) -> int:
    """Let a job's keys expire (they are kept while its workers run); returns how many."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=KEY_PREFIX.format(job=job) + "*"))
        for key in keys:
            client.expire(key, seconds)
        return len(keys)
    finally:
        client.close()


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
