"""The Elasticsearch match store, for millions of matches and several responders at once.

Layout (names start with a configurable prefix, default ``leaktrack``):

- ``<prefix>-matches``: a write alias over ``<prefix>-matches-000001`` (then ``-000002`` ...
  after ``rollover()``). One document per copy, its id ``match_id_for_url(url)``, so a
  re-sweep updates the document wherever it lives instead of adding a duplicate.
- ``<prefix>-sweeps``: one document per sweep.
- Composable index templates ``<prefix>-matches`` and ``<prefix>-sweeps`` with strict explicit
  mappings (``es_templates.json``), installed on open, so every index created later (by a
  rollover too) gets them.

Each match's status history is kept INSIDE its document (stored, not indexed). Elasticsearch
has no multi-document transactions; a single document write is atomic, so a status change and
its history entry are written together or not at all, as the interface demands.

Concurrency is optimistic: every write of a known match carries the ``_seq_no`` and
``_primary_term`` it was read with (``if_seq_no``/``if_primary_term``), and a new match is
written with ``create``. Elasticsearch answers 409 when someone else wrote in between; the
store then refreshes, re-reads and retries once, and reports ConcurrentUpdateError if that
conflicts too. Searches are near-real-time (about 1 s behind writes) unless the store is opened
with ``refresh=True`` (tests, demos), which makes every write visible before it returns.

Credentials come from the run's ``Secrets`` (named by ``settings.ES_*_ENV``; the CLI resolves
them, see ``credentials.py``) or the URL's ``user:password``, and are given to the client
separately from the URL, so no log line or error message shows them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    ConflictError,
    Elasticsearch,
    TransportError,
    UnsupportedProductError,
)
from elasticsearch import (
    NotFoundError as EsNotFoundError,
)
from elasticsearch import (
    __versionstr__ as CLIENT_VERSION,
)
from elasticsearch.helpers import streaming_bulk

from ..errors import ConcurrentUpdateError, NotFoundError, StoreError
from . import settings
from .base import (
    STATUSES,
    STILL_UP_STATUSES,
    FoundCopy,
    Match,
    MatchStore,
    StatusChange,
    StoreStats,
    SweepRecord,
    apply_found_copy,
    apply_status_change,
    check_transition,
    match_id_for_url,
    required_time_from_text,
    time_from_text,
    time_text,
)
from .elastic_desk import ElasticDeskRecords
from .elastic_takedown import ElasticTakedownRecords
from .es_connect import check_fit, cluster_version, probe_connection, unreachable

log = logging.getLogger(__name__)

TEMPLATES_FILE = "es_templates.json"


# -- connection ------------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """The URL without ``user:password@``: the only form of it that goes into messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def client_options(
    url: str, secrets: Mapping[str, str] | None = None, ca_certs: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Elasticsearch(...)``: the redacted URL plus auth from the
    secrets (``settings.ES_API_KEY_ENV``, ``ES_USER_ENV``, ``ES_PASSWORD_ENV``) or the URL."""
    secrets = secrets or {}
    parts = urlsplit(url)
    options: dict[str, Any] = {"hosts": [redact_url(url)]}
    api_key = secrets.get(settings.ES_API_KEY_ENV)
    user = secrets.get(settings.ES_USER_ENV) or (unquote(parts.username) if parts.username else None)
    password = secrets.get(settings.ES_PASSWORD_ENV) or (unquote(parts.password) if parts.password else None)
    if api_key:
        options["api_key"] = api_key
    elif user:
        options["basic_auth"] = (user, password or "")
    if ca_certs:
        if not os.path.isfile(ca_certs):  # else TLS fails later, telling to set what is set
            raise StoreError(f"{settings.ES_CA_CERTS_ENV}={ca_certs} is not a file")
        options["ca_certs"] = ca_certs
    return options


@dataclass(frozen=True)
class IndexNames:
    """Every index, alias and template name the store uses, derived from one prefix."""

    prefix: str

    @property
    def matches_alias(self) -> str:
        return f"{self.prefix}-matches"

    @property
    def first_matches_index(self) -> str:
        return f"{self.prefix}-matches-000001"

    @property
    def sweeps_index(self) -> str:
        return f"{self.prefix}-sweeps"

    @property
    def matches_template(self) -> str:
        return f"{self.prefix}-matches"

    @property
    def sweeps_template(self) -> str:
        return f"{self.prefix}-sweeps"


def template_bodies() -> dict:
    return json.loads(resources.files("leaktrack.index").joinpath(TEMPLATES_FILE).read_text("utf-8"))


def index_templates(names: IndexNames) -> dict[str, dict]:
    """Template name -> body of ``PUT _index_template/<name>``."""
    bodies = template_bodies()
    meta = {"managed_by": "leaktrack"}
    return {
        names.matches_template: {
            "index_patterns": [f"{names.matches_alias}-*"],
            "template": bodies["matches"],
            "priority": settings.ES_TEMPLATE_PRIORITY,
            "_meta": meta,
        },
        names.sweeps_template: {
            "index_patterns": [names.sweeps_index],
            "template": bodies["sweeps"],
            "priority": settings.ES_TEMPLATE_PRIORITY,
            "_meta": meta,
        },
    }


# -- documents -------------------------------------------------------------------------------


def change_to_doc(change: StatusChange) -> dict:
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "at": time_text(change.at),
        "by": change.by,
        "note": change.note,
        "details": dict(change.details),
    }


def change_from_doc(match_id: str, doc: dict) -> StatusChange:
    return StatusChange(
        match_id=match_id,
        from_status=doc["from_status"],
        to_status=doc["to_status"],
        at=required_time_from_text(doc["at"]),
        by=doc["by"],
        note=doc.get("note"),
        details=doc.get("details") or {},
    )


def match_to_doc(match: Match, history: list[dict]) -> dict:
    return {
        "id": match.id,
        "source": match.source,
        "url": match.url,
        "host": match.host,
        "title": match.title,
        "content_sha256": match.content_sha256,
        "matched_records": list(match.matched_records),
        "matched_count": match.matched_count,
        "containment": match.containment,
        "status": match.status,
        "first_seen": time_text(match.first_seen),
        "last_seen": time_text(match.last_seen),
        "status_changed_at": time_text(match.status_changed_at),
        "takedown_to": match.takedown_to,
        "takedown_ref": match.takedown_ref,
        "evidence_path": match.evidence_path,
        "version": match.version,
        "dataset_id": match.dataset_id,
        "partly_read": match.partly_read,
        "history": history,
    }


def match_from_doc(doc: dict) -> Match:
    try:
        return _match_from_doc(doc)
    except StoreError as error:  # a hand-edited document: one line naming it
        raise StoreError(f"match {doc.get('id')!r} is damaged: {error}; repair or delete it") from None


def _match_from_doc(doc: dict) -> Match:
    return Match(
        id=doc["id"],
        source=doc["source"],
        url=doc["url"],
        host=doc["host"],
        content_sha256=doc["content_sha256"],
        matched_records=list(doc["matched_records"]),
        matched_count=doc["matched_count"],
        containment=doc["containment"],
        status=doc["status"],
        first_seen=required_time_from_text(doc["first_seen"]),
        last_seen=required_time_from_text(doc["last_seen"]),
        title=doc.get("title"),
        evidence_path=doc.get("evidence_path"),
        status_changed_at=time_from_text(doc.get("status_changed_at")),
        takedown_to=doc.get("takedown_to"),
        takedown_ref=doc.get("takedown_ref"),
        version=doc["version"],
        dataset_id=doc.get("dataset_id"),
        partly_read=bool(doc.get("partly_read", False)),
    )


@dataclass
class StoredMatch:
    """A match as read, with its history and where/at which sequence number it was read."""

    match: Match
    history: list[dict]
    index: str
    seq_no: int
    primary_term: int

    @classmethod
    def from_hit(cls, hit: dict) -> StoredMatch:
        source = hit["_source"]
        return cls(
            match_from_doc(source),
            list(source.get("history") or []),
            hit["_index"],
            hit["_seq_no"],
            hit["_primary_term"],
        )


def sweep_to_doc(sweep: SweepRecord) -> dict:
    return {
        "id": sweep.id,
        "started_at": time_text(sweep.started_at),
        "finished_at": time_text(sweep.finished_at),
        "per_source": sweep.per_source,
        "errors": list(sweep.errors),
    }


def sweep_from_doc(doc: dict) -> SweepRecord:
    return SweepRecord(
        id=doc["id"],
        started_at=required_time_from_text(doc["started_at"]),
        finished_at=time_from_text(doc.get("finished_at")),
        per_source=doc.get("per_source") or {},
        errors=list(doc.get("errors") or []),
    )


# -- queries ---------------------------------------------------------------------------------

# The takedown queue's order, with the match id as the tiebreaker search_after needs.
QUEUE_SORT = [{"matched_count": "desc"}, {"last_seen": "desc"}, {"id": "asc"}]
NEWEST_FIRST_SORT = [{"last_seen": "desc"}, {"id": "asc"}]
# A record exposed only by copies a responder dismissed (false matches) is not exposed.
NOT_DISMISSED = {"bool": {"must_not": [{"term": {"status": "dismissed"}}]}}


def queue_query(status: str | None, source: str | None, min_records: int) -> dict:
    filters: list[dict] = [{"range": {"matched_count": {"gte": min_records}}}]
    if status:
        filters.append({"term": {"status": status}})
    if source:
        filters.append({"term": {"source": source}})
    return {"bool": {"filter": filters}}


def text_search_query(text: str) -> dict | None:
    """Every word must start a word of the title or the URL (as the SQLite store's FTS5 does)."""
    words = [word for word in text.lower().split() if word]
    if not words:
        return None
    each_word = [
        {"bool": {"should": [{"prefix": {"title": word}}, {"prefix": {"url.words": word}}]}} for word in words
    ]
    ranking = {"multi_match": {"query": " ".join(words), "fields": ["title", "url.words"]}}
    return {"bool": {"filter": each_word, "should": [ranking]}}


# -- the store -------------------------------------------------------------------------------


class ElasticsearchStore(ElasticDeskRecords, ElasticTakedownRecords, MatchStore):
    """``MatchStore`` on an Elasticsearch 8/9 cluster (``http(s)://host:9200``)."""

    _newest_first_sort = NEWEST_FIRST_SORT  # for the takedown mixin

    def __init__(
        self,
        url: str,
        *,
        index_prefix: str | None = None,
        refresh: bool = False,
        request_timeout: float = settings.ES_REQUEST_TIMEOUT_SECONDS,
        secrets: Mapping[str, str] | None = None,
        ca_certs: str | None = None,
    ):
        try:
            self.url = redact_url(url)
        except ValueError as error:  # a port out of range, a broken [IPv6] host; the URL may hold a password
            raise StoreError(f"bad Elasticsearch URL: {_first_line(error)}") from None
        self.names = IndexNames(index_prefix or settings.ES_DEFAULT_INDEX_PREFIX)
        # True: every write is searchable before it returns (read-your-writes, for tests).
        self.refresh = refresh
        try:
            self.client = Elasticsearch(
                **client_options(url, secrets, ca_certs), request_timeout=request_timeout
            )
        except ValueError as error:
            raise StoreError(f"bad Elasticsearch URL {self.url!r}: {_first_line(error)}") from None
        try:
            probe_connection(url, self.url)
            self.cluster_version = self._check_version()
            self._install()
        except StoreError:
            self.close()
            raise
        log.info("Elasticsearch store at %s, indices %s-*", self.url, self.names.prefix)

    # -- errors --------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn what the cluster or the network says into one-line StoreErrors (no secrets)."""
        try:
            yield
        except ConflictError:
            raise  # the callers that write with if_seq_no handle 409 themselves
        except AuthenticationException:
            raise StoreError(
                f"Elasticsearch at {self.url} refused the credentials while {doing} (401): check "
                f"{settings.ES_API_KEY_ENV} or {settings.ES_USER_ENV}/{settings.ES_PASSWORD_ENV}"
            ) from None
        except AuthorizationException as error:
            raise StoreError(
                f"Elasticsearch at {self.url} does not allow {doing} for these credentials (403): {_reason(error)}"
            ) from None
        except UnsupportedProductError:
            raise StoreError(f"{self.url} did not answer as Elasticsearch while {doing}") from None
        except ApiError as error:
            if not isinstance(error.body, dict):  # an HTML or text page: some other web server
                raise StoreError(
                    f"{self.url} did not answer as Elasticsearch while {doing} ({error.meta.status})"
                ) from None
            raise StoreError(
                f"Elasticsearch at {self.url} failed {doing}: {error.meta.status} {_reason(error)}"
            ) from None
        except TransportError as error:
            raise unreachable(self.url, _network_reason(error), doing) from None

    # -- setup ---------------------------------------------------------------------------

    def _check_version(self) -> str:
        """The cluster's version; StoreError, naming it and what to install, if the client does not fit it."""
        with self._errors("asking for its version"):
            # Accept */*, not JSON: the client rewrites application/json into its own major's
            # compatible-with media type, which a cluster of another major refuses (a bare 400).
            info = self.client.perform_request("GET", "/", headers={"accept": "*/*"}).body
        version = cluster_version(info, self.url)
        warning = check_fit(version, CLIENT_VERSION, self.url)
        if warning:
            log.warning("%s", warning)
        return version

    def _install(self) -> None:
        """Templates (re-put on every open, so mapping additions reach new indices), then indices."""
        with self._errors("installing index templates"):
            for name, body in index_templates(self.names).items():
                self.client.indices.put_index_template(name=name, **body)
        with self._errors("creating indices"):
            if not self.client.indices.exists_alias(name=self.names.matches_alias):
                self._create_index(
                    self.names.first_matches_index, {self.names.matches_alias: {"is_write_index": True}}
                )
            if not self.client.indices.exists(index=self.names.sweeps_index):
                self._create_index(self.names.sweeps_index, {})
        with self._errors("adding new fields to the matches indices"):
            # Indices made before a field was added to the template (e.g. dataset_id) get it too:
            # their mapping is strict, so a document with the field would be refused.
            properties = template_bodies()["matches"]["mappings"]["properties"]
            self.client.indices.put_mapping(index=self.names.matches_alias, properties=properties)
        self._install_desk()  # accounts and audit (elastic_desk.py)
        self._install_takedown(template_bodies())

    def _create_index(self, name: str, aliases: dict) -> None:
        try:
            self.client.indices.create(index=name, aliases=aliases or None)
        except ApiError as error:
            # Another process created it between our check and our create: fine.
            if _error_type(error) != "resource_already_exists_exception":
                raise

    def rollover(self) -> str:
        """Start a new matches index behind the write alias; returns its name.

        Old indices stay searchable through the alias, and a re-sweep of an old copy still
        updates its document in the old index (writes go where the document was read).
        """
        with self._errors("rolling over the matches index"):
            response = self.client.indices.rollover(alias=self.names.matches_alias)
        return response["new_index"]

    def _refresh_matches(self) -> None:
        with self._errors("refreshing the matches index"):
            self.client.indices.refresh(index=self.names.matches_alias)

    # -- reading -------------------------------------------------------------------------

    def _fetch(self, match_ids: Iterable[str]) -> dict[str, StoredMatch]:
        ids = list(dict.fromkeys(match_ids))
        if not ids:
            return {}
        with self._errors("reading matches"):
            response = self.client.search(
                index=self.names.matches_alias,
                query={"ids": {"values": ids}},
                size=len(ids),
                seq_no_primary_term=True,
            )
        return {hit["_id"]: StoredMatch.from_hit(hit) for hit in response["hits"]["hits"]}

    def _fetch_one(self, match_id: str) -> StoredMatch:
        found = self._fetch([match_id]).get(match_id)
        if found is None:
            # Searches lag writes by up to a refresh interval: look once more after a refresh.
            self._refresh_matches()
            found = self._fetch([match_id]).get(match_id)
        if found is None:
            raise NotFoundError(f"no match with id {match_id!r}")
        return found

    def get(self, match_id: str) -> Match:
        return self._fetch_one(match_id).match

    def _search_pages(self, index: str, query: dict, sort: list, page_size: int) -> Iterator[dict]:
        """Every hit, page by page with search_after (the sort ends with a unique tiebreaker)."""
        after: list | None = None
        while True:
            with self._errors("searching"):
                response = self.client.search(
                    index=index, query=query, sort=sort, size=page_size, search_after=after
                )
            hits = response["hits"]["hits"]
            yield from hits
            if len(hits) < page_size:
                return
            after = hits[-1]["sort"]

    def _matches(self, query: dict, sort: list, limit: int | None) -> list[Match]:
        if limit == 0:
            return []
        page_size = min(limit, settings.ITER_PAGE_SIZE) if limit else settings.ITER_PAGE_SIZE
        hits = self._search_pages(self.names.matches_alias, query, sort, page_size)
        return [match_from_doc(hit["_source"]) for hit in islice(hits, limit)]

    def list_matches(
        self,
        status: str | None = None,
        source: str | None = None,
        min_records: int = 0,
        limit: int | None = 100,
    ) -> list[Match]:
        return self._matches(queue_query(status, source, min_records), QUEUE_SORT, limit)

    def exposure(self, record_id: str) -> list[Match]:
        return self._matches({"term": {"matched_records": record_id}}, NEWEST_FIRST_SORT, None)

    def search(self, text: str, limit: int = 50) -> list[Match]:
        query = text_search_query(text)
        if query is None or limit <= 0:
            return []
        # Paged like the queue: one request may not ask for more than 10,000 hits.
        return self._matches(query, ["_score", *NEWEST_FIRST_SORT], limit)

    def history(self, match_id: str) -> list[StatusChange]:
        return [change_from_doc(match_id, entry) for entry in self._fetch_one(match_id).history]

    def iter_matches(self) -> Iterator[Match]:
        # A point in time: the export sees the store as it was when it started, even while a
        # sweep keeps writing, and pages cost the same at the millionth match as at the first.
        with self._errors("opening a point in time for export"):
            pit_id = self.client.open_point_in_time(
                index=self.names.matches_alias, keep_alive=settings.ES_PIT_KEEP_ALIVE
            )["id"]
        try:
            yield from self._pit_pages(pit_id)
        finally:
            with self._errors("closing the export's point in time"):
                self.client.close_point_in_time(id=pit_id)

    def _pit_pages(self, pit_id: str) -> Iterator[Match]:
        after: list | None = None
        while True:
            with self._errors("exporting matches"):
                response = self.client.search(
                    pit={"id": pit_id, "keep_alive": settings.ES_PIT_KEEP_ALIVE},
                    sort=[{"_shard_doc": "asc"}],
                    size=settings.ITER_PAGE_SIZE,
                    search_after=after,
                )
            hits = response["hits"]["hits"]
            yield from (match_from_doc(hit["_source"]) for hit in hits)
            if len(hits) < settings.ITER_PAGE_SIZE:
                return
            pit_id, after = response.get("pit_id", pit_id), hits[-1]["sort"]

    def stats(self) -> StoreStats:
        with self._errors("counting matches"):
            response = self.client.search(
                index=self.names.matches_alias,
                size=0,
                aggs={"by_status": {"terms": {"field": "status", "size": len(STATUSES)}}},
            )
        by_status = {b["key"]: b["doc_count"] for b in response["aggregations"]["by_status"]["buckets"]}
        return StoreStats(
            by_status=by_status,
            by_source={bucket["key"]: bucket["count"] for bucket in self._distinct("source")},
            records_exposed=sum(1 for _ in self._distinct("matched_records", NOT_DISMISSED)),
            copies_still_up=sum(by_status.get(status, 0) for status in STILL_UP_STATUSES),
        )

    def _distinct(self, field: str, query: dict | None = None) -> Iterator[dict]:
        """Every distinct value of ``field`` with its document count, exactly: ``{"key", "count"}``.

        A composite aggregation pages through all of them (a ``terms`` aggregation stops at its
        size; ``cardinality`` is an estimate, and the number of records exposed says how many
        people must be told their data is out there).
        """
        after = None
        while True:
            composite: dict[str, Any] = {
                "size": settings.ES_AGGREGATION_PAGE_SIZE,
                "sources": [{"value": {"terms": {"field": field}}}],
            }
            if after:
                composite["after"] = after
            with self._errors(f"counting {field}"):
                response = self.client.search(
                    index=self.names.matches_alias,
                    size=0,
                    query=query or {"match_all": {}},
                    aggs={"values": {"composite": composite}},
                )
            page = response["aggregations"]["values"]
            yield from ({"key": b["key"]["value"], "count": b["doc_count"]} for b in page["buckets"])
            after = page.get("after_key")
            if len(page["buckets"]) < settings.ES_AGGREGATION_PAGE_SIZE or not after:
                return

    def list_sweeps(self, limit: int = 20) -> list[SweepRecord]:
        if limit <= 0:
            return []
        with self._errors("listing sweeps"):
            response = self.client.search(
                index=self.names.sweeps_index, sort=[{"started_at": "desc"}, {"id": "asc"}], size=limit
            )
        return [sweep_from_doc(hit["_source"]) for hit in response["hits"]["hits"]]

    # -- writing -------------------------------------------------------------------------

    def dataset_ids(self) -> list[str]:
        return sorted(bucket["key"] for bucket in self._distinct("dataset_id"))

    def _upsert_batch(self, copies: list[FoundCopy]) -> list[Match]:
        known = self._fetch(match_id_for_url(copy.url) for copy in copies)
        current = _apply_copies(copies, known)
        conflicts = self._write_matches(current, known)
        if conflicts:
            # Someone wrote these matches since we read them (or a search had not caught up
            # with a recent write): re-read after a refresh, re-apply, write once more.
            self._refresh_matches()
            retry = [copy for copy in copies if match_id_for_url(copy.url) in conflicts]
            fresh = self._fetch(conflicts)
            retried = _apply_copies(retry, fresh)
            still = self._write_matches(retried, fresh)
            if still:
                raise ConcurrentUpdateError(
                    f"{len(still)} match(es) kept changing during this sweep's write (e.g. {sorted(still)[0]}); "
                    "run the sweep again"
                )
            current.update(retried)
        return [current[match_id_for_url(copy.url)][0] for copy in copies]

    def _write_matches(
        self, current: dict[str, tuple[Match, list[dict]]], known: dict[str, StoredMatch]
    ) -> set[str]:
        """Bulk-write the matches; returns the ids that hit a version conflict (409)."""
        actions = (
            _write_action(match, history, known.get(match_id), self.names.matches_alias)
            for match_id, (match, history) in current.items()
        )
        conflicts: set[str] = set()
        with self._errors("writing matches"):
            for ok, item in streaming_bulk(
                self.client,
                actions,
                chunk_size=settings.ES_BULK_CHUNK_SIZE,
                raise_on_error=False,
                refresh=self.refresh,
            ):
                result = next(iter(item.values()))
                if ok:
                    continue
                if result.get("status") == 409:
                    conflicts.add(result["_id"])
                else:
                    raise StoreError(
                        f"Elasticsearch at {self.url} refused match {result.get('_id')}: "
                        f"{result.get('status')} {_item_reason(result)}"
                    )
        return conflicts

    def change_status(
        self,
        match_id: str,
        to_status: str,
        by: str,
        note: str | None = None,
        details: dict | None = None,
        expected_version: int | None = None,
    ) -> Match:
        for attempt in (1, 2):
            stored = self._fetch_expected(match_id, expected_version)
            check_transition(stored.match.status, to_status)
            changed, entry = apply_status_change(stored.match, to_status, by, note, dict(details or {}))
            try:
                self._write_status(stored, changed, entry)
                return changed
            except ConflictError:
                log.info("match %s changed while we changed its status (attempt %d)", match_id, attempt)
                self._refresh_matches()
        raise ConcurrentUpdateError(
            f"match {match_id} was changed by someone else twice while changing its status; look at it again"
        )

    def _fetch_expected(self, match_id: str, expected_version: int | None) -> StoredMatch:
        """The match, or ConcurrentUpdateError if it is no longer the version the caller saw."""
        stored = self._fetch_one(match_id)
        if expected_version is None or stored.match.version == expected_version:
            return stored
        self._refresh_matches()  # a search may lag behind the version the caller was shown
        stored = self._fetch_one(match_id)
        if stored.match.version != expected_version:
            raise ConcurrentUpdateError(
                f"match {match_id} changed since it was shown (now {stored.match.status!r}); look at it again"
            )
        return stored

    def _write_status(self, stored: StoredMatch, changed: Match, entry: StatusChange) -> None:
        document = match_to_doc(changed, [*stored.history, change_to_doc(entry)])
        with self._errors("changing a status"):
            try:
                self.client.index(
                    index=stored.index,
                    id=changed.id,
                    document=document,
                    if_seq_no=stored.seq_no,
                    if_primary_term=stored.primary_term,
                    refresh=self.refresh,
                )
            except EsNotFoundError:
                raise NotFoundError(f"no match with id {changed.id!r} (its index is gone)") from None

    def record_sweep(self, sweep: SweepRecord) -> None:
        with self._errors("recording a sweep"):
            self.client.index(
                index=self.names.sweeps_index, id=sweep.id, document=sweep_to_doc(sweep), refresh=self.refresh
            )
            # A sweep's record is its last write: once it is recorded, the sweep's matches and
            # the record itself are searchable (`queue list` right after a sweep shows them),
            # not up to a refresh interval later (the crawl's own writes do not refresh).
            self.client.indices.refresh(index=[self.names.matches_alias, self.names.sweeps_index])

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
            del self.client  # closed: a second close() finds no client, as after a failed open


# -- helpers ---------------------------------------------------------------------------------


def _apply_copies(
    copies: list[FoundCopy], known: dict[str, StoredMatch]
) -> dict[str, tuple[Match, list[dict]]]:
    """Fold a batch's sightings into the known matches (``apply_found_copy``), in order."""
    current: dict[str, tuple[Match, list[dict]]] = {
        match_id: (stored.match, list(stored.history)) for match_id, stored in known.items()
    }
    touched: dict[str, None] = {}  # in first-seen order, so bulk requests are reproducible
    for copy in copies:
        match_id = match_id_for_url(copy.url)
        before = current.get(match_id)
        match, change = apply_found_copy(before[0] if before else None, copy)
        history = before[1] if before else []
        current[match_id] = (match, history + ([change_to_doc(change)] if change else []))
        touched[match_id] = None
    return {match_id: current[match_id] for match_id in touched}


def _write_action(match: Match, history: list[dict], known: StoredMatch | None, write_alias: str) -> dict:
    """A bulk action: ``index`` at the read sequence number if known, else ``create``."""
    if known is None:
        return {
            "_op_type": "create",
            "_index": write_alias,
            "_id": match.id,
            "_source": match_to_doc(match, history),
        }
    return {
        "_op_type": "index",
        "_index": known.index,  # where the document lives, also after a rollover
        "_id": match.id,
        "if_seq_no": known.seq_no,
        "if_primary_term": known.primary_term,
        "_source": match_to_doc(match, history),
    }


def _error_type(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    return inner.get("type", "") if isinstance(inner, dict) else str(inner or "")


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error")
    if isinstance(inner, dict):
        return _first_line(f"{inner.get('type', '')}: {inner.get('reason', '')}")
    return _first_line(inner or error.message)


def _item_reason(result: dict) -> str:
    error = result.get("error") or {}
    return _first_line(
        f"{error.get('type', '')}: {error.get('reason', '')}" if isinstance(error, dict) else error
    )


def _network_reason(error: TransportError) -> str:
    text = str(error).lower()
    if "refused" in text:
        return "connection refused"
    if "timed out" in text or "timeout" in text:
        return "timed out"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return f"TLS failed (a private CA? set {settings.ES_CA_CERTS_ENV})"
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "unknown host"
    return "connection failed"


def _first_line(text: Any) -> str:
    return str(text).strip().splitlines()[0][:300] if str(text).strip() else ""
