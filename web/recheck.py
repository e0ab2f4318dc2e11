"""'Recheck now' on a copy's page: fetch that one URL again, as ``leaktrack recheck`` does.

Built from the recheck's own parts (``spiders/recheck.py``): the same crawl in a child
process, the same verdict rule (``apply_verdict``), so the desk and the CLI judge alike.
"""

from __future__ import annotations

from ..home import Workspace
from ..index import open_workspace_store
from ..spiders.crawl import CrawlJob
from ..spiders.recheck import RecheckResult, apply_verdict, recheck_targets
from ..spiders.sweep import at_our_log_level, run_crawl_process, sources_for_urls, workspace_files


def recheck_one(
    match_id: str, workspace: Workspace, allow_private_networks: bool = False, settings: dict | None = None
) -> RecheckResult:
    """Recheck one match of the workspace's store, with its fingerprints and crawl state."""
    with open_workspace_store(workspace) as store:
        match = store.get(match_id)
    workspace.ensure_home()
    files = workspace_files(workspace)
    state_path = files["state_path"]
    targets = recheck_targets([match], state_path)
    job = CrawlJob(
        sources=sources_for_urls([match.url]),
        **files,
        allow_private_networks=allow_private_networks,
        recheck=True,
        recheck_targets=list(targets.values()),
        settings=at_our_log_level(settings),
    )
    outcome = run_crawl_process(job)
    answers = {answer["url"]: answer for answer in outcome.recheck_answers}
    with open_workspace_store(workspace) as store:
        return apply_verdict(
            store, store.get(match_id), targets[match.url], answers.get(match.url), state_path
        )
