"""Source health: did each source of a sweep look alive, judged from its counts and history.

A source that silently returns nothing is the most frequent failure of paste monitoring: a
site closes its archive, changes its markup, or puts its API behind a key. Every sweep stores
per source (in its sweep record): ``requests``, ``pages``, ``documents``, ``new_documents``,
``errors`` and ``errors_<kind>`` (see ``error_kind``), and ``empty_listings`` (listing pages
with no item links). A source is *dark* in a sweep when

- a listing page had no item links (its markup changed, or it is an error page answering 200);
- the site answered 401, 403 or 429 (an API key is missing or refused, or we are rate limited);
- it led to no documents (``documents_reached``) while the last sweeps before it led to many (``MANY_DOCUMENTS`` on
  average over the last ``HISTORY_SWEEPS`` sweeps that ran it).

The verdict is computed from stored counts, so ``sources status`` can judge past sweeps the
same way as the sweep that just ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Sweeps before this one looked at when judging "zero documents where there were many".
HISTORY_SWEEPS = 3
# Average documents per earlier sweep above which zero documents now means the source went dark.
MANY_DOCUMENTS = 5
# HTTP answers that say a source refuses us (missing/refused key, banned, rate limited).
REFUSING_STATUSES = (401, 403, 429)
# The crawl's stats key prefix under which errors are counted by kind (middlewares.record_error).
ERROR_KIND_STAT = "leaktrack/error_kind/"


@dataclass
class SourceHealth:
    """One source in one sweep: alive or dark, and why."""

    source: str
    sweep_id: str
    counts: dict[str, int]
    reasons: list[str] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "sweep": self.sweep_id,
            "alive": self.alive,
            "reasons": list(self.reasons),
            "counts": dict(self.counts),
        }


def error_kind(status: int | None = None, exception: BaseException | None = None) -> str:
    """The kind an error is counted under: ``http_<status>`` for 4xx, ``http_5xx``, or the
    exception's family (``dns``, ``timeout``, ``connection``, ``refused``, ``other``)."""
    if status is not None:
        return "http_5xx" if status >= 500 else f"http_{status}"
    name = type(exception).__name__ if exception is not None else ""
    if "DNS" in name or "Resolve" in name:
        return "dns"
    if "Timeout" in name or "TimedOut" in name:
        return "timeout"
    # A server that goes away mid-response surfaces as Scrapy's DownloadFailedError or
    # ResponseDataLossError (Twisted's ResponseFailed inside): the connection failed too.
    if any(
        part in name for part in ("Connect", "ResponseNever", "ResponseFailed", "DownloadFailed", "DataLoss")
    ):
        return "connection"
    return "other"


def dark_reasons(counts: dict[str, int], earlier: Sequence[dict[str, int]]) -> list[str]:
    """Why a source with these counts looked dark ([] when alive); ``earlier``: its counts in the
    sweeps before, newest first."""
    reasons = []
    if counts.get("empty_listings", 0):
        reasons.append(f"{counts['empty_listings']} listing page(s) with no item links")
    refusals = [
        f"HTTP {status} x{counts[f'errors_http_{status}']}"
        for status in REFUSING_STATUSES
        if counts.get(f"errors_http_{status}", 0)
    ]
    if refusals:
        reasons.append("refused by the site: " + ", ".join(refusals))
    recent = list(earlier)[:HISTORY_SWEEPS]
    if recent and documents_reached(counts) == 0:
        average = sum(documents_reached(past) for past in recent) / len(recent)
        if average >= MANY_DOCUMENTS:
            reasons.append(f"no documents, after {average:.0f} per sweep in the last {len(recent)} sweep(s)")
    return reasons


def documents_reached(counts: dict[str, int]) -> int:
    """Documents the source led us to: scanned, unchanged since the last fetch, known clean by
    their bytes, or skipped as already seen (an incremental sweep of a quiet site is alive)."""
    return sum(counts.get(key, 0) for key in ("documents", "unchanged", "known_clean", "skipped_seen"))


def sweep_health(sweep, earlier_sweeps: Sequence) -> list[SourceHealth]:
    """Every source of ``sweep`` (a SweepRecord or SweepSummary), judged against the sweeps
    before it (newest first)."""
    return [
        SourceHealth(
            source=name,
            sweep_id=sweep.id,
            counts=counts,
            reasons=dark_reasons(
                counts, [past.per_source[name] for past in earlier_sweeps if name in past.per_source]
            ),
        )
        for name, counts in sweep.per_source.items()
    ]


def source_history(sweeps: Sequence) -> dict[str, list[SourceHealth]]:
    """Source name -> its health in each of ``sweeps`` (newest first) that ran it, newest first."""
    history: dict[str, list[SourceHealth]] = {}
    for index, sweep in enumerate(sweeps):
        for health in sweep_health(sweep, sweeps[index + 1 :]):
            history.setdefault(health.source, []).append(health)
    return history
