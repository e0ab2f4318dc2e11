"""Who to write to about a copy: the platform table, else the site's security.txt, the network
hosting its address (RDAP) and the registrar of its registered domain (Public Suffix List, RDAP).

Lookups run concurrently (``settings.LOOKUP_WORKERS`` at once, ``LOOKUP_PER_SERVER`` per RDAP
server) and are cached in the store with an expiry (``MatchStore.save_lookup``), failures for a
shorter time. A lookup that fails leaves its role empty with the reason in
``ContactReport.problems``: "no contact found, because ...", never an exception.

The store is only touched from the calling thread (an SQLite connection belongs to its thread);
worker threads only talk to the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import tldextract

from ..index import MatchStore
from ..index.base import host_of_url, utcnow
from . import settings
from .contacts import Contact, ContactReport
from .fetch import Fetcher, LookupFailed, is_public_address, origin_of
from .platforms import platform_contact
from .rdap import BOOTSTRAP_FILES, RdapClient
from .security_txt import fetch_security_txt

log = logging.getLogger(__name__)

# The bundled Public Suffix List snapshot only: no download at run time (suffix_list_urls=()).
# ICANN suffixes only: the registrar of user.github.io is the registrar of github.io.
_PUBLIC_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(host: str) -> str | None:
    """The domain a registrar registered for ``host`` (``files.example.co.uk`` -> ``example.co.uk``)."""
    return _PUBLIC_SUFFIXES(host).top_domain_under_public_suffix or None


class ContactFinder:
    def __init__(
        self,
        store: MatchStore,
        fetcher: Fetcher | None = None,
        rdap_bootstrap: str = settings.RDAP_BOOTSTRAP_BASE,
        resolve: Callable[[str], list[str]] | None = None,
        workers: int = settings.LOOKUP_WORKERS,
        security_txt_over_http: bool = False,
        lookup_private_addresses: bool = False,
        now: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.fetcher = fetcher or Fetcher()
        self.resolve = resolve or self.fetcher.resolve
        self.workers = workers
        self.security_txt_over_http = security_txt_over_http
        # True only in tests, whose copies live on 127.0.0.1 and whose RDAP bootstrap covers it.
        self.lookup_private_addresses = lookup_private_addresses
        self.now = now
        self.rdap = RdapClient(self.fetcher, rdap_bootstrap, bootstrap_files=self._bootstrap_file)
        self._rdap_files: dict[str, dict] = {}

    # -- cache ---------------------------------------------------------------------------

    def _cached(self, key: str) -> dict | None:
        return self.store.load_lookup(key, self.now())

    def _remember(self, key: str, outcome: dict) -> None:
        keep = (
            timedelta(hours=settings.LOOKUP_FAILURE_CACHE_HOURS)
            if outcome.get("problem")
            else timedelta(days=settings.LOOKUP_CACHE_DAYS)
        )
        self.store.save_lookup(key, outcome, self.now() + keep)

    def _load_bootstrap_files(self) -> None:
        """The RDAP bootstrap files, from the cache or fetched once, in the calling thread."""
        for kind in BOOTSTRAP_FILES:
            key = f"rdap-bootstrap {self.rdap.bootstrap_url(kind)}"
            outcome = self._cached(key)
            if outcome is None:
                outcome = _outcome_of(lambda kind=kind: [self.rdap.fetch_bootstrap(kind)])
                keep = (
                    timedelta(hours=settings.LOOKUP_FAILURE_CACHE_HOURS)
                    if "problem" in outcome
                    else timedelta(days=settings.RDAP_BOOTSTRAP_CACHE_DAYS)
                )
                self.store.save_lookup(key, outcome, self.now() + keep)
            self._rdap_files[kind] = outcome

    def _bootstrap_file(self, kind: str) -> dict:
        outcome = self._rdap_files[kind]
        if "problem" in outcome:
            raise LookupFailed(outcome["problem"])
        return outcome["values"][0]

    # -- lookups -------------------------------------------------------------------------

    def _run(self, jobs: dict[str, Callable[[], list[Contact] | list[str]]]) -> dict[str, dict]:
        """Run the uncached jobs concurrently; every outcome is {"values": [...]} or {"problem": why}."""
        outcomes: dict[str, dict] = {}
        todo = {}
        for key, job in jobs.items():
            cached = self._cached(key)
            if cached is not None:
                outcomes[key] = cached
            else:
                todo[key] = job
        if any(key.startswith("rdap-") for key in todo) and not self._rdap_files:
            self._load_bootstrap_files()  # here, in the store's thread, and only when RDAP is asked
        if todo:
            with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
                futures = {key: pool.submit(_outcome_of, job) for key, job in todo.items()}
                for key, future in futures.items():
                    outcomes[key] = future.result()
                    self._remember(key, outcomes[key])
        return outcomes

    def find(self, urls: Iterable[str]) -> dict[str, ContactReport]:
        """A ContactReport per URL (one lookup per distinct host, origin, address and domain)."""
        found_at = self.now()
        reports: dict[str, ContactReport] = {}
        for url in dict.fromkeys(urls):
            host = host_of_url(url)
            reports[url] = ContactReport(url=url, host=host, registered_domain=registered_domain(host))
            platform = platform_contact(host, found_at) if host else None
            if platform:
                reports[url].contacts.append(platform)
        looked_up = [report for report in reports.values() if report.host and not report.contacts]
        for report in reports.values():
            if not report.host:
                report.problems["all"] = "the URL has no host name"
        if not looked_up:
            return reports
        first = self._run(
            {
                job_key: job
                for report in looked_up
                for job_key, job in self._first_jobs(report, found_at).items()
            }
        )
        for report in looked_up:
            self._apply_first(report, first)
        second = self._run(
            {
                f"rdap-ip {address}": self._network_job(address, found_at)
                for report in looked_up
                for address in report.addresses[:1]
                if "hosting" not in report.problems
            }
        )
        for report in looked_up:
            if f"rdap-ip {report.addresses[0] if report.addresses else ''}" in second:
                _apply(report, "hosting", second[f"rdap-ip {report.addresses[0]}"])
        return reports

    def _first_jobs(self, report: ContactReport, found_at: datetime) -> dict[str, Callable]:
        origin = origin_of(report.url)
        jobs: dict[str, Callable] = {
            f"resolve {report.host}": lambda host=report.host: self.resolve(host),
            f"security.txt {origin}": lambda: fetch_security_txt(
                self.fetcher, _origin_url(origin), found_at, self.security_txt_over_http
            ),
        }
        if report.registered_domain:
            jobs[f"rdap-domain {report.registered_domain}"] = self._registrar_job(
                report.registered_domain, found_at
            )
        return jobs

    def _registrar_job(self, domain: str, found_at: datetime) -> Callable:
        return lambda: self.rdap.registrar_contacts(domain, found_at)

    def _network_job(self, address: str, found_at: datetime) -> Callable:
        return lambda: self.rdap.network_contacts(address, found_at)

    def _apply_first(self, report: ContactReport, outcomes: dict[str, dict]) -> None:
        resolved = outcomes[f"resolve {report.host}"]
        if "problem" in resolved:
            report.problems["hosting"] = resolved["problem"]
        else:
            report.addresses = list(resolved["values"])
            if not report.addresses:
                report.problems["hosting"] = f"{report.host} resolves to no address"
            elif not is_public_address(report.addresses[0]) and not self.lookup_private_addresses:
                report.problems["hosting"] = (
                    f"{report.addresses[0]} is not a public address: no hosting network to look up"
                )
        _apply(report, "host", outcomes[f"security.txt {origin_of(report.url)}"])
        if report.registered_domain:
            _apply(report, "registrar", outcomes[f"rdap-domain {report.registered_domain}"])
        else:
            report.problems["registrar"] = (
                f"{report.host} has no registered domain (an address, or no public suffix)"
            )


def _origin_url(origin: str) -> str:
    # origin_of() spells out the default port too; security.txt is asked at the URL's own origin.
    parts = urlsplit(origin)
    default = 443 if parts.scheme == "https" else 80
    netloc = parts.hostname if parts.port == default else parts.netloc
    return f"{parts.scheme}://{netloc}"


def _outcome_of(job: Callable) -> dict:
    try:
        values = job()
    except LookupFailed as error:
        return {"problem": str(error)}
    except Exception as error:  # noqa: BLE001 - a lookup bug must not stop the other lookups
        log.exception("contact lookup failed")
        return {"problem": f"lookup failed: {type(error).__name__}: {error}"}
    return {"values": [value.as_dict() if isinstance(value, Contact) else value for value in values]}


def _apply(report: ContactReport, role: str, outcome: dict) -> None:
    if "problem" in outcome:
        report.problems[role] = outcome["problem"]
        return
    report.contacts += [Contact.from_dict(contact) for contact in outcome["values"]]
