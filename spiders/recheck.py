"""Recheck: are the copies we asked to take down gone yet?

Each URL is fetched again through the same Scrapy machinery as a sweep (same settings,
guard, politeness) and judged: a 404/410, or a page that no longer matches the fingerprints
(a "removed" notice, an emptied paste) means the copy is gone, and its match moves to
``removed``. A copy still there stays, with the days since the notice was sent. A URL that
could not be fetched (timeout, 5xx) is ``unreachable`` and stays: absence of an answer is
not proof of removal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..home import CRAWL_STATE_FILE, FINGERPRINTS_FILE, KEY_FILE, default_store_url, ensure_home
from ..index import TRANSITIONS, Match, open_store
from .crawl import CrawlJob
from .state import CrawlState
from .sweep import absolute_store_url, at_our_log_level, home_file, run_crawl_process, sources_for_urls
from .urls import GONE_STATUSES

RECHECK_ACTOR = "recheck"


@dataclass
class RecheckResult:
    match_id: str
    url: str
    verdict: str  # "gone", "no longer matching", "still up" or "unreachable"
    http_status: int | None
    status: str  # the match's status after the recheck
    days_outstanding: int | None  # days since the takedown notice, while still up

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def recheck(
    status: str = "takedown_sent",
    store_url: str | None = None,
    fingerprints_path: str | Path | None = None,
    allow_private_networks: bool = False,
    settings: dict | None = None,
    key_file: str | Path | None = None,
) -> list[RecheckResult]:
    """Re-fetch every match in ``status``; move the gone ones to ``removed``."""
    store_url = absolute_store_url(store_url or default_store_url())
    with open_store(store_url) as store:
        matches = store.list_matches(status=status, limit=None)
    if not matches:
        return []
    job = CrawlJob(
        sources=sources_for_urls([match.url for match in matches]),
        fingerprints_path=home_file(fingerprints_path, FINGERPRINTS_FILE),
        key_file=home_file(key_file, KEY_FILE),
        store_url=store_url,
        state_path=home_file(None, CRAWL_STATE_FILE),
        allow_private_networks=allow_private_networks,
        recheck=True,
        settings=at_our_log_level(settings),
    )
    outcome, _ = run_crawl_process(job)
    answers = {answer["url"]: answer for answer in outcome.recheck_answers}
    with open_store(store_url) as store:
        return [apply_verdict(store, match, answers.get(match.url)) for match in matches]


def judge(answer: dict | None) -> str:
    if answer is None:
        return "unreachable"
    if answer["http_status"] in GONE_STATUSES:
        return "gone"
    return "still up" if answer["still_matching"] else "no longer matching"


def apply_verdict(store, match: Match, answer: dict | None) -> RecheckResult:
    verdict = judge(answer)
    http_status = answer["http_status"] if answer else None
    if verdict in ("gone", "no longer matching") and "removed" in TRANSITIONS[match.status]:
        note = f"recheck: HTTP {http_status}" if verdict == "gone" else "recheck: content no longer matches"
        match = store.change_status(match.id, "removed", by=RECHECK_ACTOR, note=note)
        forget_url(match.url)
    return RecheckResult(match.id, match.url, verdict, http_status, match.status, match.days_outstanding())


def forget_url(url: str) -> None:
    """A removed copy must be fetched again if a sweep finds it (then it has ``reappeared``)."""
    state = CrawlState(ensure_home() / CRAWL_STATE_FILE)
    try:
        state.forget(url)
    finally:
        state.close()
