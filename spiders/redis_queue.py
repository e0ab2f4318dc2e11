"""The shared queue of a distributed sweep: claims, news of the queue, and the end of a sweep.

A Scrapy scheduler (``SweepScheduler``, over scrapy-redis's) that workers of one Redis job
share, and the spider middleware that tells it when a request is finished (``ClaimTracker``).
Imported by the crawl process only (``distributed_settings`` names it): the ``sweep`` command
itself needs none of Scrapy, scrapy-redis or Twisted.

Every request a worker pops is *claimed* by it in Redis, atomically with the pop, until the
worker has finished with it: its callback's requests queued, its documents through the item
pipelines (scanned and stored), or its failure recorded; a redirect or retry finishes it when
it is queued in its place. A worker killed at any moment loses nothing: the claims of a worker
whose heartbeat stopped go back to the queue, and only those are fetched twice.

A worker with nothing to do waits for news on a Redis channel: the queue stopped being empty,
a worker let go of its last claim, claims came back to the queue. It then takes work, or, when
the queue is empty and no worker holds a claim, ends: the sweep is done. While it waits it also
looks for dead workers once per ``HEARTBEAT_SECONDS``: the only periodic check, and only for a
worker killed without a word.

Round trips are what a worker spends besides Scrapy: one per popped batch, which also queues the
requests the worker's callbacks yielded since the last one (duplicate filter and queue in one
script each, pipelined) and then drops its finished claims; the scripts run by EVALSHA.
"""

from __future__ import annotations

import logging
import weakref
from collections import deque
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread

from .distributed import CREDENTIALS, new_worker_id

logger = logging.getLogger(__name__)

# A worker refreshes its heartbeat this often (seconds); the others count it dead once its
# heartbeat is older than LEAKTRACK_REDIS_WORKER_TTL (settings.py) and put its claims back.
# An idle worker waits for news at most this long before it looks for dead workers.
HEARTBEAT_SECONDS = 1.0
# The request meta key holding the queue member a popped request was claimed as.
META_CLAIM = "leaktrack_claim"

# Queue a request unless the duplicate filter has seen it (KEYS: duplicate filter, queue, news
# channel; ARGV: fingerprint, '' for dont_filter; score; request). When the queue stops being
# empty, waiting workers are told. 1 if queued.
PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
local was_empty = redis.call('ZCARD', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if was_empty then redis.call('PUBLISH', KEYS[3], 'queued') end
return 1
"""
# Drop a worker's finished claims, then pop and claim up to ARGV[1] requests (KEYS: queue, the
# worker's claims, news channel; ARGV: how many, then the finished claims). A request is
# always either queued or claimed, never in neither. When the worker's last claim goes and the
# queue is empty the sweep may be over: waiting workers are told.
RELEASE_AND_POP = """
if #ARGV > 1 then redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) end
local members = {}
local wanted = tonumber(ARGV[1])
if wanted > 0 then
  local popped = redis.call('ZRANGE', KEYS[1], 0, wanted - 1, 'WITHSCORES')
  for i = 1, #popped, 2 do
    redis.call('HSET', KEYS[2], popped[i], popped[i + 1])
    members[#members + 1] = popped[i]
  end
  if #members > 0 then redis.call('ZREM', KEYS[1], unpack(members)) end
end
if #ARGV > 1 and #members == 0 and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('PUBLISH', KEYS[3], 'released')
end
return members
"""
# Put the claims of workers back in the queue (KEYS: workers set, queue, news channel; ARGV:
# the workers' key prefix, 'dead' or 'self', this worker): the claims of every worker whose
# heartbeat expired, or this worker's own (one stopping before its work is done).
RETURN_CLAIMS = """
local returned = 0
local function give_back(worker)
  local key = ARGV[1] .. worker .. ':claims'
  local claims = redis.call('HGETALL', key)
  for i = 1, #claims, 2 do redis.call('ZADD', KEYS[2], claims[i + 1], claims[i]) end
  redis.call('DEL', key)
  redis.call('SREM', KEYS[1], worker)
  returned = returned + #claims / 2
end
if ARGV[2] == 'self' then
  give_back(ARGV[3])
else
  for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    if worker ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. worker .. ':alive') == 0 then
      give_back(worker)
    end
  end
end
if returned > 0 then redis.call('PUBLISH', KEYS[3], 'returned') end
return returned
"""
# The work a sweep has left (KEYS: queue, workers set; ARGV: the workers' key prefix): queued
# requests, and requests claimed by any worker.
WORK_LEFT = """
local claimed = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  claimed = claimed + redis.call('HLEN', ARGV[1] .. worker .. ':claims')
end
return {redis.call('ZCARD', KEYS[1]), claimed}
"""


class WorkerKeys:
    """The Redis keys of one spider's queue and of the workers sharing it."""

    def __init__(self, queue_key: str, worker: str):
        base = queue_key.removesuffix(":requests")
        self.queue = queue_key
        self.workers = base + ":workers"
        self.worker_prefix = self.workers + ":"
        self.news = base + ":news"
        self.worker = worker

    def claims(self, worker: str | None = None) -> str:
        return f"{self.worker_prefix}{worker or self.worker}:claims"

    def alive(self, worker: str | None = None) -> str:
        return f"{self.worker_prefix}{worker or self.worker}:alive"


class CredentialedRedis(redis.StrictRedis):
    """The scrapy-redis client: connects to a settings' URL (no credentials) with the
    credentials ``remember_credentials`` kept for it."""

    @classmethod
    def from_url(cls, url: str, **kwargs):
        username, password = CREDENTIALS.get(url, (None, None))
        if username is not None:
            kwargs.setdefault("username", username)
        if password is not None:
            kwargs.setdefault("password", password)
        return super().from_url(url, **kwargs)


# The scheduler of each running crawler, for its ClaimTracker (made before the scheduler).
_SCHEDULERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SweepScheduler(Scheduler):
    """scrapy-redis's scheduler, with claims, news and the end of a sweep decided across workers
    (see the module's docstring). A worker that stops early (SIGTERM) puts its unfinished
    claims back for the others."""

    def __init__(self, *args, worker_ttl: float = 30.0, pop_batch: int = 1, max_claims: int = 16, **kwargs):
        super().__init__(*args, **kwargs)
        self.worker_ttl = worker_ttl
        self.pop_batch = pop_batch
        self.max_claims = max_claims
        self.keys: WorkerKeys | None = None
        self.crawler: Any = None
        self.heartbeat: LoopingCall | None = None
        self.claimed: set[bytes] = set()  # popped and not finished, as queue members
        self.finished: list[bytes] = []  # finished, to drop from Redis with the next round trip
        self.in_spider: set[bytes] = set()  # reached the spider: not finished by a redirect or retry
        self.items: dict[bytes, int] = {}  # documents of a request still in the item pipelines
        self.popped: deque[Request] = deque()  # claimed, not yet handed to the engine
        self.pushes: list[Request] = []  # to queue with the next round trip (enqueue_request)
        self.waking: Request | None = None  # handed to the engine to wake it (see take_work)
        self.news: Any = None  # this worker's subscription to the news channel
        self.listening = False
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.worker_ttl = crawler.settings.getfloat("LEAKTRACK_REDIS_WORKER_TTL")
        scheduler.pop_batch = max(1, crawler.settings.getint("LEAKTRACK_REDIS_POP_BATCH"))
        scheduler.max_claims = max(1, crawler.settings.getint("LEAKTRACK_REDIS_MAX_CLAIMS"))
        scheduler.crawler = crawler
        _SCHEDULERS[crawler] = scheduler
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(scheduler.item_done, signal=signal)
        from .middlewares import request_failed

        crawler.signals.connect(scheduler.request_failed, signal=request_failed)
        return scheduler

    def open(self, spider):
        self.spider = spider
        self.keys = WorkerKeys(self.queue_key % {"spider": spider.name}, new_worker_id())
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.keys.queue, serializer=self.serializer
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        self.push_script = self.server.register_script(PUSH)
        self.pop_script = self.server.register_script(RELEASE_AND_POP)
        self.return_script = self.server.register_script(RETURN_CLAIMS)
        self.work_left_script = self.server.register_script(WORK_LEFT)
        # Subscribed before anything is looked at, so no news is missed between a look and a wait.
        self.news = self.server.pubsub(ignore_subscribe_messages=True)
        self.news.subscribe(self.keys.news)
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
        if self.pushes or self.finished:  # a busy engine that has not asked for requests lately
            self.release_and_pop(0)

    # --- queueing and popping ------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        if request is self.waking:  # popped and claimed already (take_work)
            self.waking = None
            self.popped.append(request)
            return True
        predecessor = request.meta.pop(META_CLAIM, None)
        if predecessor in self.claimed and predecessor not in self.in_spider:
            self.finish(predecessor)  # a redirect or retry, queued in its place (before the release)
        if request.meta.get("redirect_urls"):
            # At once: a redirect back to a page of the sweep must be told as dropped
            # (OutcomeTally counts redirect loops from the request_dropped signal).
            return self.push_now(request)
        # Held until this worker's next round trip (next_request, an idle look, the heartbeat),
        # which queues them before it lets go of any claim: a callback's links cost one trip.
        # A duplicate among them is counted by the duplicate filter, without request_dropped.
        self.pushes.append(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def push_now(self, request: Request) -> bool:
        keys = self.worker_keys
        queued = self.push_script(keys=[self.df.key, keys.queue, keys.news], args=self.push_args(request))
        if not queued:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def push_args(self, request: Request) -> list:
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        return [fingerprint, -request.priority, self.queue._encode_request(request)]

    def next_request(self) -> Request | None:
        if not self.popped:
            # Popped ones count among the claims: at most max_claims in this worker, in any stage.
            room = min(self.pop_batch, self.max_claims - len(self.claimed))
            if room <= 0:
                # The engine asks again as each of its responses is through the spider and the
                # pipelines (Scrapy schedules its next call then), when a claim is finished.
                if self.pushes:  # a callback's links wait for no claim of ours
                    self.release_and_pop(0)
                return None
            self.popped.extend(self.release_and_pop(room))
        if not self.popped:
            return None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return self.popped.popleft()

    def release_and_pop(self, wanted: int) -> list[Request]:
        """In one round trip: queue the requests held back, drop the finished claims, and claim
        up to ``wanted`` requests."""
        keys = self.worker_keys
        pushes, self.pushes = self.pushes, []
        finished, self.finished = self.finished, []
        pop_keys = [keys.queue, keys.claims(), keys.news]
        if pushes:
            trip = self.server.pipeline(transaction=False)
            for request in pushes:
                self.push_script(
                    keys=[self.df.key, keys.queue, keys.news], args=self.push_args(request), client=trip
                )
            self.pop_script(keys=pop_keys, args=[wanted, *finished], client=trip)
            *queued, members = trip.execute()
            for request, was_queued in zip(pushes, queued, strict=True):
                if not was_queued:
                    self.df.log(request, self.spider)
        else:
            members = self.pop_script(keys=pop_keys, args=[wanted, *finished])
        requests = []
        for member in members:
            request = self.queue._decode_request(member)
            request.meta[META_CLAIM] = member
            self.claimed.add(member)
            requests.append(request)
        return requests

    def has_pending_requests(self) -> bool:
        if self.pushes:
            self.release_and_pop(0)
        return bool(self.popped) or len(self.queue) > 0

    # --- when a request is finished (ClaimTracker and the signals) ------------------------

    def finish(self, member: bytes) -> None:
        if member in self.claimed:
            self.claimed.discard(member)
            self.in_spider.discard(member)
            self.items.pop(member, None)
            self.finished.append(member)

    def output_started(self, member: bytes) -> None:
        self.in_spider.add(member)

    def item_started(self, member: bytes) -> None:
        self.items[member] = self.items.get(member, 0) + 1

    def output_done(self, member: bytes) -> None:
        self.in_spider.discard(member)
        if not self.items.get(member):
            self.finish(member)

    def item_done(self, item=None, response=None, **kwargs) -> None:
        member = getattr(response, "meta", {}).get(META_CLAIM) if response is not None else None
        if member is None or member not in self.items:
            return
        self.items[member] -= 1
        if not self.items[member] and member not in self.in_spider:
            self.finish(member)

    def request_failed(self, request: Request, **kwargs) -> None:
        member = request.meta.get(META_CLAIM)
        if member is not None:
            self.finish(member)

    # --- idle workers, news and the end of the sweep --------------------------------------

    def spider_idle(self, spider=None) -> None:
        if self.take_work():
            raise DontCloseSpider

    def take_work(self) -> bool:
        """Called when this worker's engine is idle: every request it claimed is finished.
        Hands the engine a request if one is queued (``engine.crawl`` wakes it); else waits
        for news while another worker holds claims. False when the sweep is done."""
        self.finished.extend(self.claimed)  # nothing of ours is in progress: all finished
        self.claimed.clear()
        self.in_spider.clear()
        self.items.clear()
        self.return_claims_of_dead_workers()
        taken = self.release_and_pop(1)
        if taken:
            self.waking = taken[0]
            self.crawler.engine.crawl(taken[0])
            return True
        keys = self.worker_keys
        queued, claimed = self.work_left_script(keys=[keys.queue, keys.workers], args=[keys.worker_prefix])
        if queued or claimed:
            self.listen()
            return True
        return False

    def listen(self) -> None:
        """Wait for news in a thread (the reactor runs on); ``on_news`` then looks again."""
        if self.listening or self.closed:
            return
        self.listening = True
        deferToThread(self.wait_for_news).addBoth(self.on_news)

    def wait_for_news(self) -> bool:
        message = self.news.get_message(timeout=HEARTBEAT_SECONDS)
        while message is not None and self.news.get_message(timeout=0) is not None:
            pass  # news piled up while this worker was busy: one look covers it all
        return message is not None

    def on_news(self, result) -> None:
        self.listening = False
        if self.closed:
            self.close_news()
            return
        if not isinstance(result, bool):  # Redis failed under the thread: say so, and go on looking
            logger.warning("waiting for news of the sweep failed: %s", result.getErrorMessage())
        if self.crawler.engine is None or self.claimed or self.popped:
            return  # busy: its own downloads drive it, and spider_idle comes when they are done
        # Not ``engine.spider_is_idle()``: it asks ``has_pending_requests``, which is true as
        # soon as the shared queue holds anything, news or not, so a worker woken by news of a
        # queue another worker filled would wait for Scrapy's 5 s heartbeat to look (on a quiet
        # machine the first worker then took every request, the second none).
        if not self.take_work():
            from .pipelines import stop_crawl

            stop_crawl(self.crawler, "finished")

    def return_claims_of_dead_workers(self) -> int:
        keys = self.worker_keys
        returned = self.return_script(
            keys=[keys.workers, keys.queue, keys.news], args=[keys.worker_prefix, "dead", keys.worker]
        )
        if returned:
            logger.warning(
                "%d request(s) of a worker that stopped answering went back to the queue", returned
            )
        return returned

    def close_news(self) -> None:
        if self.news is not None:
            self.news.close()
            self.news = None

    def close(self, reason):
        self.closed = True
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        keys = self.worker_keys
        self.release_and_pop(0)
        # Whatever is still claimed was not finished (a stop, a failure): back for the others.
        self.return_script(
            keys=[keys.workers, keys.queue, keys.news], args=[keys.worker_prefix, "self", keys.worker]
        )
        self.server.delete(keys.alive())
        if not self.listening:
            self.close_news()
        super().close(reason)


class ClaimTracker:
    """Spider middleware of distributed sweeps: tells the scheduler when a claimed request's
    response has been through the spider (its requests queued, its documents counted until
    the item signals say they went through the pipelines). Last before the engine (order 0),
    so it sees what the engine gets. Off in other crawls."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if load_object(crawler.settings.get("SCHEDULER")) is not SweepScheduler:
            raise NotConfigured
        return cls(crawler)

    def claim_of(self, response) -> tuple[SweepScheduler | None, bytes | None]:
        scheduler = _SCHEDULERS.get(self.crawler)
        return scheduler, response.meta.get(META_CLAIM) if scheduler is not None else None

    def process_spider_output(self, response, result, spider=None):
        scheduler, member = self.claim_of(response)
        if scheduler is None or member is None:
            yield from result
            return
        scheduler.output_started(member)
        try:
            for output in result:
                if output is not None and not isinstance(output, Request):
                    scheduler.item_started(member)
                yield output
        finally:
            scheduler.output_done(member)

    async def process_spider_output_async(self, response, result, spider=None):
        scheduler, member = self.claim_of(response)
        if scheduler is None or member is None:
            async for output in result:
                yield output
            return
        scheduler.output_started(member)
        try:
            async for output in result:
                if output is not None and not isinstance(output, Request):
                    scheduler.item_started(member)
                yield output
        finally:
            scheduler.output_done(member)

    def process_spider_exception(self, response, exception, spider=None):
        scheduler, member = self.claim_of(response)
        if scheduler is not None and member is not None:
            scheduler.output_done(member)
        return None
