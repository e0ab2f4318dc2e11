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
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

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
        "SCHEDULER": "leaktrack.spiders.distributed.SweepScheduler",
        "SCHEDULER_QUEUE_CLASS": "leaktrack.spiders.distributed.ClaimingQueue",
        "SCHEDULER_SERIALIZER": "leaktrack.spiders.redis_codec",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": public_url,
        "REDIS_PARAMS": {"redis_cls": "leaktrack.spiders.distributed.CredentialedRedis"},
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


# Credentials of the Redis URLs this process connects to, by the URL without them.
_CREDENTIALS: dict[str, tuple[str | None, str | None]] = {}


def remember_credentials(redis_url: str) -> str:
    """Keep ``redis_url``'s credentials in this process's memory; returns the URL without them."""
    public_url, username, password = split_credentials(redis_url)
    if username is not None or password is not None:
        _CREDENTIALS[public_url] = (username, password)
    return public_url


class CredentialedRedis(redis.StrictRedis):
    """The scrapy-redis client: connects to a settings' URL (no credentials) with the
    credentials ``remember_credentials`` kept for it."""

    @classmethod
    def from_url(cls, url: str, **kwargs):
        username, password = _CREDENTIALS.get(url, (None, None))
        if username is not None:
            kwargs.setdefault("username", username)
        if password is not None:
            kwargs.setdefault("password", password)
        return super().from_url(url, **kwargs)


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
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=KEY_PREFIX.format(job=job) + "*"))
        for key in keys:
            client.expire(key, seconds)
        return len(keys)
    finally:
        client.close()


# --- The shared queue: claims, heartbeats and the end of a sweep ---------------------------

# A worker refreshes its heartbeat this often (seconds); the others count it dead once its
# heartbeat is older than LEAKTRACK_REDIS_WORKER_TTL (settings.py) and put its claims back.
HEARTBEAT_SECONDS = 1.0

# Pop the first request of the queue and claim it for a worker, in one step: a request is
# always either queued or claimed, never in neither (a worker killed between the two).
POP_AND_CLAIM = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
redis.call('ZREM', KEYS[1], popped[1])
redis.call('HSET', KEYS[2], popped[1], popped[2])
return popped[1]
"""
# Put every claim of a worker back in the queue (a dead worker's, or one stopping early).
RETURN_CLAIMS = """
local claims = redis.call('HGETALL', KEYS[1])
for i = 1, #claims, 2 do redis.call('ZADD', KEYS[2], claims[i + 1], claims[i]) end
redis.call('DEL', KEYS[1])
return #claims / 2
"""


class ClaimingQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set), popped with a claim (see POP_AND_CLAIM)."""

    claims_key = ""  # set by the scheduler: the claims of this worker
    last_claim: bytes | None = None

    def pop(self, timeout=0):
        member = self.server.eval(POP_AND_CLAIM, 2, self.key, self.claims_key)
        self.last_claim = member
        return self._decode_request(member) if member else None


class WorkerKeys:
    """The Redis keys of one spider's queue and of the workers sharing it."""

    def __init__(self, queue_key: str, worker: str):
        base = queue_key.removesuffix(":requests")
        self.queue = queue_key
        self.workers = base + ":workers"
        self.worker = worker

    def claims(self, worker: str | None = None) -> str:
        return f"{self.workers}:{worker or self.worker}:claims"

    def alive(self, worker: str | None = None) -> str:
        return f"{self.workers}:{worker or self.worker}:alive"


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SweepScheduler(Scheduler):
    """scrapy-redis's scheduler, with the end of a distributed sweep decided across workers.

    Each request a worker pops is *claimed* by it in Redis until the worker has finished with
    it (downloaded, parsed, its documents scanned and stored, its new requests queued). A
    worker whose own work is done stays up while the queue holds requests or another live
    worker holds claims (it may still queue more), and stops when both are empty: the sweep is
    done. Each worker keeps a heartbeat; the claims of a worker whose heartbeat stopped (killed,
    or its machine gone) go back to the queue, so nothing it had taken is lost. A worker that
    stops early (SIGTERM) puts its unfinished claims back too.
    """

    def __init__(self, *args, worker_ttl: float = 30.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.worker_ttl = worker_ttl
        self.keys: WorkerKeys | None = None
        self.claimed: dict = {}  # request -> its queue member, until the worker is done with it
        self.crawler = None
        self.heartbeat = None

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.worker_ttl = crawler.settings.getfloat("LEAKTRACK_REDIS_WORKER_TTL")
        scheduler.crawler = crawler
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider):
        self.spider = spider
        self.keys = WorkerKeys(self.queue_key % {"spider": spider.name}, new_worker_id())
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.keys.queue, serializer=self.serializer
        )
        self.queue.claims_key = self.keys.claims()
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        self.server.sadd(self.keys.workers, self.keys.worker)
        self.beat()
        self.heartbeat = LoopingCall(self.beat)
        self.heartbeat.start(HEARTBEAT_SECONDS, now=False)

    @property
    def worker_keys(self) -> WorkerKeys:
        """This worker's Redis keys (set by ``open``, which Scrapy calls before anything else)."""
        if self.keys is None:
            raise RuntimeError("the scheduler is used before it was opened")
        return self.keys

    def beat(self) -> None:
        self.server.set(self.worker_keys.alive(), "1", px=int(self.worker_ttl * 1000))
        self.release_finished()

    def next_request(self):
        self.release_finished()
        request = super().next_request()
        if request is not None:
            self.claimed[request] = self.queue.last_claim
        return request

    def release_finished(self) -> None:
        """Drop the claims of requests this worker is done with (no longer in the engine)."""
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None)  # the engine's requests in progress (Scrapy's own)
        if slot is None or not self.claimed:
            return
        finished = [request for request in self.claimed if request not in slot.inprogress]
        if finished:
            self.server.hdel(self.worker_keys.claims(), *(self.claimed.pop(request) for request in finished))

    def spider_idle(self, spider=None) -> None:
        self.release_finished()
        self.return_claims_of_dead_workers()
        if len(self.queue) or self.others_busy():
            raise DontCloseSpider

    def return_claims_of_dead_workers(self) -> int:
        returned = 0
        for member in self.server.smembers(self.worker_keys.workers):
            worker = member.decode() if isinstance(member, bytes) else member
            if worker != self.worker_keys.worker and not self.server.exists(self.worker_keys.alive(worker)):
                returned += self.server.eval(
                    RETURN_CLAIMS, 2, self.worker_keys.claims(worker), self.worker_keys.queue
                )
                self.server.srem(self.worker_keys.workers, worker)
        if returned:
            logger.warning(
                "%d request(s) of a worker that stopped answering went back to the queue", returned
            )
        return returned

    def others_busy(self) -> bool:
        for member in self.server.smembers(self.worker_keys.workers):
            worker = member.decode() if isinstance(member, bytes) else member
            if worker != self.worker_keys.worker and self.server.hlen(self.worker_keys.claims(worker)):
                return True
        return False

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    def close(self, reason):
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        self.release_finished()
        # Whatever is still claimed was not finished (a stop, a failure): back for the others.
        self.server.eval(RETURN_CLAIMS, 2, self.worker_keys.claims(), self.worker_keys.queue)
        self.server.srem(self.worker_keys.workers, self.worker_keys.worker)
        self.server.delete(self.worker_keys.alive())
        super().close(reason)
