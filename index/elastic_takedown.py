"""``TakedownRecords`` in the Elasticsearch store: three small indices beside the matches,
``<prefix>-takedown-lookups``, ``-takedown-notices`` and ``-takedown-tracks``, with strict
mappings from ``es_templates.json`` (installed as composable templates on open, as the
matches' are).

Takedown writes are few (one per notice or recheck) and are read back at once by the same
command (``takedown send`` then ``takedown due``), so they are written with
``refresh=wait_for``: visible to searches when the call returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from elasticsearch.helpers import streaming_bulk

from ..errors import NotFoundError, StoreError
from . import settings
from .base import Match, batches, time_from_text, time_text
from .elastic_members import ElasticStoreMembers
from .takedown_records import (
    METRIC_GROUPS,
    TIME_FIELDS,
    Notice,
    TakedownMetric,
    TakedownRecords,
    TakedownTrack,
    hours_to_notice,
    hours_to_removal,
)

TAKEDOWN_INDICES = ("lookups", "notices", "tracks")


def takedown_index(prefix: str, kind: str) -> str:
    return f"{prefix}-takedown-{kind}"


def takedown_templates(prefix: str, bodies: dict) -> dict[str, dict]:
    """Template name -> body, for the three takedown indices."""
    return {
        takedown_index(prefix, kind): {
            "index_patterns": [takedown_index(prefix, kind)],
            "template": bodies[f"takedown_{kind}"],
            "priority": settings.ES_TEMPLATE_PRIORITY,
            "_meta": {"managed_by": "leaktrack"},
        }
        for kind in TAKEDOWN_INDICES
    }


def _doc_of(record: Notice | TakedownTrack) -> dict:
    return {key: time_text(value) if key in TIME_FIELDS else value for key, value in record.__dict__.items()}


def _fields_of(doc: dict) -> dict:
    return {key: time_from_text(value) if key in TIME_FIELDS else value for key, value in doc.items()}


# Kept in each track document beside the times they come from, so that takedown_metrics is one
# aggregation in the cluster, not every track streamed to Python (0.5 s of CPU at 1M tracks).
DERIVED_TRACK_FIELDS = ("hours_to_notice", "hours_to_removal")


def _track_doc(track: TakedownTrack) -> dict:
    return {
        **_doc_of(track),
        "hours_to_notice": hours_to_notice(track),
        "hours_to_removal": hours_to_removal(track),
    }


def _track_of(doc: dict) -> TakedownTrack:
    return TakedownTrack(**_fields_of({k: v for k, v in doc.items() if k not in DERIVED_TRACK_FIELDS}))


def _metric_of(bucket: dict, key: str) -> TakedownMetric:
    return TakedownMetric(
        key=key,
        notified=bucket["doc_count"],
        removed=bucket["removed"]["value"],
        hours_to_notice_mean=bucket["notice_mean"]["value"],
        hours_to_notice_max=bucket["notice_max"]["value"],
        hours_to_removal_mean=bucket["removal_mean"]["value"],
        hours_to_removal_max=bucket["removal_max"]["value"],
    )


_METRIC_AGGREGATIONS = {
    "removed": {"value_count": {"field": "hours_to_removal"}},
    "notice_mean": {"avg": {"field": "hours_to_notice"}},
    "notice_max": {"max": {"field": "hours_to_notice"}},
    "removal_mean": {"avg": {"field": "hours_to_removal"}},
    "removal_max": {"max": {"field": "hours_to_removal"}},
}


def _lookup_id(key: str) -> str:
    # Keys hold URLs and colons; a hash is a safe document id of fixed length.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ElasticTakedownRecords(ElasticStoreMembers, TakedownRecords):
    """Mixed into ``ElasticsearchStore``: uses its ``client``, ``names``, ``_errors``, ``_matches``
    and ``_search_pages``."""

    def _takedown_index(self, kind: str) -> str:
        return takedown_index(self.names.prefix, kind)

    def _install_takedown(self, bodies: dict) -> None:
        with self._errors("installing the takedown index templates"):
            for name, body in takedown_templates(self.names.prefix, bodies).items():
                self.client.indices.put_index_template(name=name, **body)
        with self._errors("creating the takedown indices"):
            for kind in TAKEDOWN_INDICES:
                if not self.client.indices.exists(index=self._takedown_index(kind)):
                    self._create_index(self._takedown_index(kind), {})
        with self._errors("adding new fields to the takedown tracks"):
            # A tracks index made before the derived fields existed gets them (strict mapping),
            # and its tracks are written again with them, once: none lacks them afterwards.
            properties = bodies["takedown_tracks"]["mappings"]["properties"]
            self.client.indices.put_mapping(index=self._takedown_index("tracks"), properties=properties)
            self.client.indices.refresh(index=self._takedown_index("tracks"))
            lacking = {"bool": {"must_not": [{"exists": {"field": "hours_to_notice"}}]}}
            older = [_track_of(doc) for doc in self._hits("tracks", lacking, [{"match_id": "asc"}])]
        if older:
            self._save_tracks(older, "adding derived fields to the takedown tracks")

    def _save_tracks(self, tracks: list[TakedownTrack], doing: str) -> None:
        actions = (
            {"_index": self._takedown_index("tracks"), "_id": track.match_id, "_source": _track_doc(track)}
            for track in tracks
        )
        self._bulk(actions, doing)

    def _bulk(self, actions: Iterable[dict], doing: str, missing_is_fine: bool = False) -> None:
        """Send ``actions`` through ``_bulk``, visible to searches on return; StoreError on
        the first refused one (a 404 too, unless ``missing_is_fine``)."""
        with self._errors(doing):
            for ok, item in streaming_bulk(
                self.client,
                actions,
                raise_on_error=False,
                refresh="wait_for",
                chunk_size=settings.ES_BULK_CHUNK_SIZE,
            ):
                result = next(iter(item.values()))
                if not ok and not (missing_is_fine and result.get("status") == 404):
                    raise StoreError(f"Elasticsearch at {self.url} refused {doing}: {result.get('_id')}")

    def _put(self, kind: str, doc_id: str, document: dict, doing: str) -> None:
        with self._errors(doing):
            self.client.index(
                index=self._takedown_index(kind), id=doc_id, document=document, refresh="wait_for"
            )

    def _hits(self, kind: str, query: dict, sort: list, limit: int | None = None) -> Iterator[dict]:
        page_size = min(limit, settings.ITER_PAGE_SIZE) if limit else settings.ITER_PAGE_SIZE
        hits = self._search_pages(self._takedown_index(kind), query, sort, page_size)
        for number, hit in enumerate(hits):
            if limit is not None and number >= limit:
                return
            yield hit["_source"]

    def save_lookup(self, key: str, value: dict, expires_at: datetime) -> None:
        document = {"key": key, "value": value, "expires_at": time_text(expires_at)}
        self._put("lookups", _lookup_id(key), document, "caching a contact lookup")

    def load_lookup(self, key: str, now: datetime) -> dict | None:
        query = {
            "bool": {
                "filter": [
                    {"ids": {"values": [_lookup_id(key)]}},
                    {"range": {"expires_at": {"gt": time_text(now)}}},
                ]
            }
        }
        found = list(self._hits("lookups", query, [{"key": "asc"}], 1))
        return found[0]["value"] if found else None

    def add_notice(self, notice: Notice) -> None:
        self.get(notice.match_id)  # NotFoundError for an unknown match
        self._put("notices", notice.id, _doc_of(notice), "recording a notice")

    def list_notices(self, match_id: str | None = None) -> list[Notice]:
        query: dict[str, Any] = {"term": {"match_id": match_id}} if match_id else {"match_all": {}}
        sort = [{"sent_at": "asc"}, {"id": "asc"}]
        return [Notice(**_fields_of(doc)) for doc in self._hits("notices", query, sort)]

    def save_track(self, track: TakedownTrack) -> None:
        try:
            self.get(track.match_id)
        except NotFoundError:
            raise NotFoundError(f"no match with id {track.match_id!r}") from None
        self._put("tracks", track.match_id, _track_doc(track), "saving a takedown track")

    def get_track(self, match_id: str) -> TakedownTrack | None:
        return self.tracks_of([match_id]).get(match_id)

    def tracks_of(self, match_ids: list[str]) -> dict[str, TakedownTrack]:
        found: dict[str, TakedownTrack] = {}
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            hits = self._hits("tracks", {"ids": {"values": batch}}, [{"match_id": "asc"}])
            found.update((doc["match_id"], _track_of(doc)) for doc in hits)
        return found

    def match_states(self, match_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
        found: dict[str, tuple[str, datetime | None]] = {}
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            for match_id, stored in self._fetch(batch).items():
                found[match_id] = (stored.match.status, stored.match.status_changed_at)
        return found

    def tracks_due(self, step: str, entered_by: datetime, limit: int | None = None) -> list[TakedownTrack]:
        query = {
            "bool": {
                "filter": [
                    {"term": {"step": step}},
                    {"range": {"step_since": {"lte": time_text(entered_by)}}},
                ]
            }
        }
        sort = [{"step_since": "asc"}, {"match_id": "asc"}]
        return [_track_of(doc) for doc in self._hits("tracks", query, sort, limit)]

    def iter_tracks(self) -> Iterator[TakedownTrack]:
        sort = [{"match_id": "asc"}]
        yield from (_track_of(doc) for doc in self._hits("tracks", {"match_all": {}}, sort))

    def takedown_metrics(self, group_by: str = "host") -> list[TakedownMetric]:
        if group_by not in METRIC_GROUPS:
            raise ValueError(f"group_by must be host or source, not {group_by!r}")
        metrics = []
        composite: dict[str, Any] = {
            "size": settings.ITER_PAGE_SIZE,
            "sources": [{"key": {"terms": {"field": group_by}}}],
        }
        while True:
            with self._errors("computing takedown metrics"):
                response = self.client.search(
                    index=self._takedown_index("tracks"),
                    size=0,
                    aggs={"groups": {"composite": composite, "aggs": _METRIC_AGGREGATIONS}},
                )
            page = response["aggregations"]["groups"]
            metrics += [_metric_of(bucket, bucket["key"]["key"]) for bucket in page["buckets"]]
            if len(page["buckets"]) < composite["size"] or "after_key" not in page:
                break  # a short page is the last: no round trip for an empty one
            composite["after"] = page["after_key"]
        return sorted(metrics, key=lambda metric: (-metric.notified, metric.key))

    def delete_matches(self, match_ids: list[str]) -> int:
        deleted = 0
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            found = self._fetch(batch)
            notices = [n.id for match_id in found for n in self.list_notices(match_id)]
            actions = [{"_op_type": "delete", "_index": s.index, "_id": i} for i, s in found.items()]
            actions += [
                {"_op_type": "delete", "_index": self._takedown_index("notices"), "_id": n} for n in notices
            ]
            actions += [
                {"_op_type": "delete", "_index": self._takedown_index("tracks"), "_id": i} for i in found
            ]
            self._bulk(actions, "deleting matches", missing_is_fine=True)  # a track that never existed
            deleted += len(found)
        return deleted

    def matches_with_content(self, content_sha256: str) -> list[Match]:
        return self._matches({"term": {"content_sha256": content_sha256}}, self._newest_first_sort, None)
