"""Distributed sweeps: several ``leaktrack sweep`` workers sharing one crawl through Redis.

With ``--redis-url`` the workers use scrapy-redis's scheduler and duplicate filter, so the
requests of a sweep are queued in Redis and each page is fetched by exactly one worker.
Workers cooperate when they are given the same ``--redis-job`` name (e.g. cron passes the
hour: ``--redis-job $(date -u +%Y%m%dT%H)``); a new job name starts a fresh crawl, since the
duplicate filter remembers every page of its job. A job's keys expire after a week.
"""

from __future__ import annotations

import re

from ..errors import SourcesError

KEY_PREFIX = "leaktrack:{job}:"
JOB_KEY_TTL_SECONDS = 7 * 24 * 3600


def distributed_settings(redis_url: str, job: str | None) -> dict:
    """Scrapy settings that put the scheduler queue and duplicate filter of ``job`` in Redis."""
    if not job:
        raise SourcesError("a distributed sweep needs a job name shared by its workers (--redis-job)")
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", job):
        raise SourcesError(f"redis job name {job!r} must be 1-100 letters, digits or . _ : -")
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SourcesError(f"{redis_url!r} is not a redis:// URL")
    prefix = KEY_PREFIX.format(job=job)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        # Kept when a worker finishes: another worker of the same job may still be crawling.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": prefix + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + "%(spider)s:dupefilter",
    }


def check_redis_reachable(redis_url: str, timeout: float = 5.0) -> None:
    """Fail with one line before the crawl starts when Redis does not answer (otherwise the
    scheduler fails inside Scrapy's start-up with tracebacks). The URL may hold a password:
    the message names only what redis-py says (host and port)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        raise SourcesError(f"cannot reach Redis: {error}") from None
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
