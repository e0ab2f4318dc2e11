"""Sweeps on Scrapyd: deploy leaktrack to Scrapyd daemons, run a sweep's spiders there, follow them.

``build_egg`` makes the project's egg with scrapyd-client (``scrapyd-deploy --build-egg``:
setup.py bdist_egg, the settings module named by the ``scrapy`` entry point); ``deploy_egg``
uploads it through Scrapyd's ``addversion.json``. ``run_on_scrapyd`` schedules one job per
source (``schedule.json``: the spider of the source's kind, the source as JSON in the
``source`` argument, the job's settings as ``setting=NAME=VALUE``), follows them through
``listjobs.json`` until every one has finished, and reads each job's counts and errors from
the report line its log ends with (``crawl.CrawlReport``), so the sweep is recorded like a
local one. With a Redis job, every source is scheduled on every Scrapyd and the jobs share the
crawl through Redis (``distributed.py``); without, sources are spread over the daemons.

What a Scrapyd job is given is visible to anyone who can read that Scrapyd (its job list, its
queue database, its logs): no secret may go there. A Redis password or a store URL with one is
refused here. An API source's token is never sent either: the job gets the source with the
*name* of its ``token_env``, and reads the value from its own process's environment, which
Scrapyd passes on from its own (``cli/scrapy_commands/crawl.py``). So each Scrapyd host that
runs token sources is started with the variables set (``GITHUB_TOKEN=... scrapyd``, or a
systemd ``EnvironmentFile=``, owner-only), and the sweeping machine needs none of them. A host
without one says so in the job's report line, an error of the source in the sweep's summary.
The paths of the fingerprints, key, store and crawl state must mean the same on the Scrapyd
hosts (a shared mount, or the same layout).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import LeaktrackError
from .crawl import REPORT_MARK, SPIDERS, CrawlJob, CrawlOutcome, job_settings
from .distributed import split_credentials

PROJECT = "leaktrack"
# How often the jobs' state is asked for (listjobs.json); each question is one small request.
POLL_SECONDS = 1.0
HTTP_TIMEOUT_SECONDS = 30.0


class ScrapydError(LeaktrackError):
    """A Scrapyd daemon refused, could not be reached, or a job ended without its report."""


@dataclass
class ScheduledJob:
    scrapyd: str
    source: str
    spider: str
    job_id: str


def build_egg(project_root: Path, egg_path: Path) -> Path:
    """The project's egg, built by scrapyd-client from the checkout at ``project_root``."""
    built = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", f"--build-egg={egg_path}"],
        cwd=project_root,
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 or not egg_path.exists():
        last = (built.stderr.strip().splitlines() or ["no output"])[-1]
        raise ScrapydError(f"building the egg in {project_root} failed: {last}")
    _fix_native_stubs(egg_path)
    return egg_path


# The loader of a compiled module inside a zipped egg (the scanner's first pass). setuptools'
# own stub asks importlib.resources for the files of the *module* (a TypeError: not a package)
# and then loads the library into a module it drops; this one loads it from the package's
# files and puts it in sys.modules, where the import that ran the stub picks it up.
NATIVE_STUB = """def __bootstrap__():
    global __bootstrap__
    import importlib.machinery, importlib.resources, importlib.util, sys
    with importlib.resources.as_file(importlib.resources.files(__package__).joinpath({library!r})) as path:
        loader = importlib.machinery.ExtensionFileLoader(__name__, str(path))
        spec = importlib.util.spec_from_file_location(__name__, str(path), loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    sys.modules[__name__] = module
__bootstrap__()
"""


def _fix_native_stubs(egg_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(egg_path) as egg:
        entries = {info.filename: egg.read(info) for info in egg.infolist()}
    libraries = entries.get("EGG-INFO/native_libs.txt", b"").decode().split()
    if not libraries:
        return
    for library in libraries:
        folder, _, name = library.rpartition("/")
        module = name.split(".")[0]
        entries[f"{folder}/{module}.py"] = NATIVE_STUB.format(library=name).encode()
        for stale in [entry for entry in entries if entry.endswith(".pyc") and f"/{module}." in entry]:
            del entries[stale]  # the compiled old stub
    with zipfile.ZipFile(egg_path, "w", zipfile.ZIP_DEFLATED) as egg:
        for name, data in entries.items():
            egg.writestr(name, data)


def deploy_egg(scrapyd: str, egg_path: Path, version: str, project: str = PROJECT) -> int:
    """Upload the egg as ``version`` of the project (addversion.json); returns its spider count."""
    import requests

    with egg_path.open("rb") as egg:
        answer = _json(
            scrapyd,
            "addversion",
            partial(
                requests.post,
                f"{scrapyd.rstrip('/')}/addversion.json",
                data={"project": project, "version": version},
                files={"egg": egg},
                timeout=120,
            ),
        )
    return int(answer.get("spiders", 0))


def scrapyd_settings(job: CrawlJob) -> dict[str, str]:
    """The settings a Scrapyd job of ``job`` is scheduled with, as text (no secrets: see above)."""
    from scrapy.settings import Settings

    if job.redis_url and split_credentials(job.redis_url)[2] is not None:
        raise ScrapydError(
            "a Redis password cannot go to Scrapyd (its job list shows every setting): "
            "give the Scrapyd hosts a Redis they reach without one, e.g. bound to their private network"
        )
    if split_credentials(job.store_url)[2] is not None:
        raise ScrapydError(
            "a store URL with a password cannot go to Scrapyd (its job list shows every setting)"
        )
    defaults = Settings()
    defaults.setmodule("leaktrack.spiders.settings", priority="project")
    overrides = {**job_settings(job, defaults), "LEAKTRACK_CRAWL_REPORT": True, "LOG_LEVEL": "INFO"}
    return {name: _as_text(value) for name, value in overrides.items() if value is not None}


def _as_text(value) -> str:
    return json.dumps(value) if isinstance(value, dict | list | tuple) else str(value)


def schedule_sweep(scrapyds: list[str], job: CrawlJob, project: str = PROJECT) -> list[ScheduledJob]:
    from scrapy.utils.misc import load_object
    from scrapyd_client.pyclient import ScrapydClient

    settings = [("setting", f"{name}={value}") for name, value in scrapyd_settings(job).items()]
    scheduled = []
    for index, source in enumerate(job.sources):
        spider = load_object(SPIDERS[source.kind]).name
        targets = scrapyds if job.redis_url else [scrapyds[index % len(scrapyds)]]
        for scrapyd in targets:
            args = [("source", json.dumps(asdict(source))), ("jobid", uuid.uuid4().hex), *settings]
            job_id = _json(
                scrapyd, "schedule", partial(ScrapydClient(scrapyd).schedule, project, spider, args)
            )
            scheduled.append(ScheduledJob(scrapyd, source.name, spider, job_id))
    return scheduled


def follow(
    scheduled: list[ScheduledJob],
    project: str = PROJECT,
    stop_requested: Callable[[], bool] = lambda: False,
    poll_seconds: float = POLL_SECONDS,
) -> bool:
    """Wait until every job has finished (listjobs.json); cancel them all when ``stop_requested``
    turns true (once), and wait for that too. Returns whether they were cancelled."""
    from scrapyd_client.pyclient import ScrapydClient

    cancelled = False
    daemons = sorted({job.scrapyd for job in scheduled})
    while True:
        finished = set()
        for scrapyd in daemons:
            listing = _json(scrapyd, "listjobs", partial(ScrapydClient(scrapyd).jobs, project))
            finished |= {entry["id"] for entry in listing.get("finished", [])}
        if all(job.job_id in finished for job in scheduled):
            return cancelled
        if stop_requested() and not cancelled:
            for job in scheduled:
                if job.job_id not in finished:
                    _json(
                        job.scrapyd,
                        "cancel",
                        partial(ScrapydClient(job.scrapyd).cancel, project, job.job_id),
                    )
            cancelled = True
        time.sleep(poll_seconds)  # Scrapyd has no push: its job list is asked again


def collect_outcome(scheduled: list[ScheduledJob], project: str = PROJECT) -> CrawlOutcome:
    """Every source's counts (summed over its jobs) and errors, from the jobs' reports."""
    per_source: dict[str, dict[str, int]] = {}
    errors: dict[str, list[str]] = {}
    for job in scheduled:
        report = read_report(job, project)
        counts = per_source.setdefault(job.source, {})
        errors.setdefault(job.source, [])
        if report is None:
            counts["errors"] = counts.get("errors", 0) + 1
            errors[job.source].append(
                f"Scrapyd job {job.job_id} on {job.scrapyd} ended without its report (see its log)"
            )
            continue
        for name, value in report["counts"].items():
            counts[name] = counts.get(name, 0) + int(value)
        errors[job.source].extend(report["errors"])
    return CrawlOutcome(per_source=per_source, errors=errors)


def read_report(job: ScheduledJob, project: str = PROJECT) -> dict | None:
    """The report line of a job's log (Scrapyd serves logs at /logs/PROJECT/SPIDER/JOB.log)."""
    import requests

    url = f"{job.scrapyd.rstrip('/')}/logs/{project}/{job.spider}/{job.job_id}.log"
    try:
        answer = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise ScrapydError(f"cannot read the log of job {job.job_id} from {job.scrapyd}: {error}") from None
    if answer.status_code != 200:
        return None
    for line in reversed(answer.text.splitlines()):
        if REPORT_MARK in line:
            return json.loads(line.split(REPORT_MARK, 1)[1])
    return None


def run_on_scrapyd(
    scrapyds: list[str], job: CrawlJob, stop_requested: Callable[[], bool] = lambda: False
) -> tuple[CrawlOutcome, bool]:
    """Schedule the job's sources on the Scrapyd daemons, follow them to the end, and return
    what they counted, and whether they were cancelled (``stop_requested``)."""
    scheduled = schedule_sweep(scrapyds, job)
    cancelled = follow(scheduled, stop_requested=stop_requested)
    return collect_outcome(scheduled), cancelled


def _json(scrapyd: str, endpoint: str, call: Callable) -> Any:
    """One call of Scrapyd's API, its failures as one-line ScrapydErrors."""
    import requests
    from scrapyd_client.exceptions import ErrorResponse, MalformedResponse

    try:
        answer = call()
    except (ErrorResponse, MalformedResponse) as error:
        raise ScrapydError(f"Scrapyd at {scrapyd} refused {endpoint}.json: {error}") from None
    except requests.RequestException as error:
        raise ScrapydError(f"cannot reach Scrapyd at {scrapyd}: {type(error).__name__}") from None
    if isinstance(answer, requests.Response):
        try:
            answer = answer.json()
        except ValueError:
            raise ScrapydError(f"Scrapyd at {scrapyd} answered {endpoint}.json with no JSON") from None
        if answer.get("status") != "ok":
            raise ScrapydError(
                f"Scrapyd at {scrapyd} refused {endpoint}.json: {answer.get('message', answer)}"
            )
    return answer
