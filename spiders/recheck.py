"""Recheck: are the copies we asked to take down gone yet?

Each copy is fetched again the way the sweep that matched it fetched it: the same content URL
(a paste's raw endpoint, not its page) read through the same extraction (both kept in the crawl
state), with the same Scrapy settings, guard and politeness, and under robots.txt exactly when
the sweep's fetch was: a file an API named (a GitHub code search hit's raw URL, a gist's) was
taken without it, as the API's terms govern it, so its recheck is too. raw.githubusercontent.com
is not for crawlers; were its robots.txt obeyed, no GitHub copy could ever be seen gone. A
search engine's result is someone's site, fetched and rechecked under its robots.txt. Verdicts:

- ``gone``: 404/410/451, an emptied answer, or a short removal notice ("removed", "deleted", ...);
  the match moves to ``removed``.
- ``no longer matching``: the same content URL, read the same way and in full, answered without
  a redirect and no longer matches: a verified removal, the match moves to ``removed``.
- ``changed``: it answered but no longer matches, and that cannot be verified (the content URL
  is unknown, the answer came through a redirect, or it was not read in full): stays open.
- ``still up``: it still matches; stays, with the days since the notice.
- ``could not check``: no answer (timeout, 5xx, DNS, refused): absence of an answer is not
  proof of removal; stays open.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..home import Workspace
from ..index import TRANSITIONS, Match, open_workspace_store
from .crawl import CrawlJob
from .state import CrawlState
from .sweep import ProgressCallback, at_our_log_level, run_crawl_process, sources_for_urls, workspace_files
from .urls import GONE_STATUSES

RECHECK_ACTOR = "recheck"
VERDICTS = (
    "gone",
    "no longer matching",
    "changed",
    "still up",
    "could not check",
    "disallowed by robots.txt",
)
CLOSING_VERDICTS = ("gone", "no longer matching")


@dataclass
class RecheckResult:
    match_id: str
    url: str
    verdict: str  # see VERDICTS
    http_status: int | None
    status: str  # the match's status after the recheck
    days_outstanding: int | None  # days since the takedown notice, while still up
    reason: str = ""  # why this verdict (judge)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def recheck(
    workspace: Workspace,
    status: str = "takedown_sent",
    allow_private_networks: bool = False,
    settings: dict | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[RecheckResult]:
    """Re-fetch every match in ``status`` (store, fingerprints and crawl state of ``workspace``);
    move the gone ones to ``removed``. ``on_progress``: per-source counts while the crawl runs."""
    with open_workspace_store(workspace) as store:
        matches = store.list_matches(status=status, limit=None)
    if not matches:
        return []
    workspace.ensure_home()
    files = workspace_files(workspace)
    state_path = files["state_path"]
    targets = recheck_targets(matches, state_path)
    job = CrawlJob(
        sources=sources_for_urls([match.url for match in matches]),
        **files,
        allow_private_networks=allow_private_networks,
        recheck=True,
        recheck_targets=list(targets.values()),
        settings=at_our_log_level(settings),
    )
    outcome = run_crawl_process(job, on_progress)
    answers = {answer["url"]: answer for answer in outcome.recheck_answers}
    with open_workspace_store(workspace) as store:
        return [
            apply_verdict(store, match, targets[match.url], answers.get(match.url), state_path)
            for match in matches
        ]


def recheck_targets(matches: list[Match], state_path: str) -> dict[str, dict]:
    """Per match URL: what to fetch and how to read it, as the sweep did (the crawl state says)."""
    state = CrawlState(state_path)
    try:
        targets = {}
        for match in matches:
            seen = state.get(match.url)
            if seen is not None and seen.content_url:
                targets[match.url] = {
                    "url": match.url,
                    "content_url": seen.content_url,
                    "extraction": seen.extraction or "document",
                    "robots_exempt": seen.robots_exempt,
                    "known": True,
                }
            else:
                targets[match.url] = {
                    "url": match.url,
                    "content_url": match.url,
                    "extraction": "document",
                    "robots_exempt": False,
                    "known": False,
                }
        return targets
    finally:
        state.close()


def judge(target: dict, answer: dict | None) -> tuple[str, str]:
    """The verdict on one copy, and why (the history note when it closes the takedown)."""
    if answer is None:
        return "could not check", "no answer (timeout, server error, DNS or refused)"
    if answer.get("robots_disallowed"):
        return (
            "disallowed by robots.txt",
            f"not fetched: robots.txt forbids {answer['content_url']} to our crawler",
        )
    status = answer["http_status"]
    if status in GONE_STATUSES:
        return "gone", f"HTTP {status}"
    if answer["still_matching"]:
        return "still up", f"HTTP {status}, still matching"
    if answer["empty"]:
        return "gone", "the content URL answers empty"
    if answer["removal_page"]:
        return "gone", "the content URL answers with a removal notice"
    if not target["known"]:
        return "changed", "no longer matches, but the crawl state does not say what the sweep fetched"
    if answer["fetched_url"] != answer["content_url"]:
        return "changed", f"no longer matches, but answered through a redirect to {answer['fetched_url']}"
    if not answer["fully_read"]:
        return "changed", "no longer matches, but was not read in full"
    return "no longer matching", "the same content URL no longer matches"


def apply_verdict(store, match: Match, target: dict, answer: dict | None, state_path: str) -> RecheckResult:
    verdict, reason = judge(target, answer)
    http_status = answer["http_status"] if answer else None
    if verdict in CLOSING_VERDICTS and "removed" in TRANSITIONS[match.status]:
        match = store.change_status(match.id, "removed", by=RECHECK_ACTOR, note=f"recheck: {reason}")
        forget_url(match.url, state_path)
    return RecheckResult(
        match.id, match.url, verdict, http_status, match.status, match.days_outstanding(), reason
    )


def forget_url(url: str, state_path: str) -> None:
    """A removed copy must be fetched again if a sweep finds it (then it has ``reappeared``)."""
    state = CrawlState(state_path)
    try:
        state.forget(url)
    finally:
        state.close()
