"""'Recheck now' on a copy's page: fetch that one URL again, as ``leaktrack recheck`` does.

Built from the recheck's own parts (``spiders/recheck.py``): the same crawl in a child
process, the same verdict rule (``apply_verdict``), so the desk and the CLI judge alike.
"""

from __future__ import annotations

from pathlib import Path

from ..home import CRAWL_STATE_FILE, FINGERPRINTS_FILE, KEY_FILE, default_store_url
from ..index import open_store
from ..spiders.crawl import CrawlJob
from ..spiders.recheck import RecheckResult, apply_verdict
from ..spiders.sweep import (
    absolute_store_url,
    at_our_log_level,
    home_file,
    run_crawl_process,
    sources_for_urls,
)


def recheck_one(
    match_id: str,
    store_url: str | None,
    fingerprints_path: Path | None = None,
    key_file: Path | None = None,
    allow_private_networks: bool = False,
) -> RecheckResult:
    store_url = absolute_store_url(store_url or default_store_url())
    with open_store(store_url) as store:
        match = store.get(match_id)
    job = CrawlJob(
        sources=sources_for_urls([match.url]),
        fingerprints_path=home_file(fingerprints_path, FINGERPRINTS_FILE),
        key_file=home_file(key_file, KEY_FILE),
        store_url=store_url,
        state_path=home_file(None, CRAWL_STATE_FILE),
        allow_private_networks=allow_private_networks,
        recheck=True,
        settings=at_our_log_level(None),
    )
    outcome, _ = run_crawl_process(job)
    answers = {answer["url"]: answer for answer in outcome.recheck_answers}
    with open_store(store_url) as store:
        return apply_verdict(store, store.get(match_id), answers.get(match.url))
