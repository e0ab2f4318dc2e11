"""The review desk's records (``index/desk.py``) in the Elasticsearch store.

A mixin of ``ElasticsearchStore``: two more indices, ``<prefix>-users`` (one document per
account, its id the name) and ``<prefix>-audit`` (one document per entry), with strict mappings
from ``es_templates.json`` ("users", "audit"); the queue pages with ``search_after``. Account and
audit writes wait for a refresh, so a user added or an entry written is visible at once.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources

from elasticsearch import ConflictError

from ..errors import NotFoundError
from . import settings
from .base import required_time_from_text, time_text, utcnow
from .desk import (
    AuditEntry,
    DeskRecords,
    ExposurePage,
    QueueFilter,
    QueuePage,
    UserAccount,
    check_role,
    check_sort,
)
from .elastic_members import ElasticStoreMembers

DESK_TEMPLATE_KEYS = ("users", "audit", "alerts")


def user_to_doc(account: UserAccount) -> dict:
    return {
        "name": account.name,
        "role": account.role,
        "password_hash": account.password_hash,
        "created_at": time_text(account.created_at),
        "disabled": account.disabled,
    }


def user_from_doc(doc: dict) -> UserAccount:
    return UserAccount(
        name=doc["name"],
        role=doc["role"],
        password_hash=doc["password_hash"],
        created_at=required_time_from_text(doc["created_at"]),
        disabled=bool(doc.get("disabled")),
    )


def queue_filter_query(where: QueueFilter) -> dict:
    filters: list[dict] = [{"range": {"matched_count": {"gte": min(where.min_records, 2**31 - 1)}}}]
    for name in ("status", "source", "host"):
        if getattr(where, name):
            filters.append({"term": {name: getattr(where, name)}})
    seen: dict = {}
    if where.first_seen_from:
        seen["gte"] = time_text(where.first_seen_from)
    if where.first_seen_to:
        seen["lt"] = time_text(where.first_seen_to)
    if seen:
        filters.append({"range": {"first_seen": seen}})
    return {"bool": {"filter": filters}}


class ElasticDeskRecords(ElasticStoreMembers, DeskRecords):
    @property
    def _users_index(self) -> str:
        return f"{self.names.prefix}-users"

    @property
    def _audit_index(self) -> str:
        return f"{self.names.prefix}-audit"

    @property
    def _alerts_index(self) -> str:
        return f"{self.names.prefix}-alerts"

    def _install_desk(self) -> None:
        """Templates and indices of accounts and audit (called by the store's ``_install``)."""
        bodies = json.loads(
            resources.files("leaktrack.index").joinpath("es_templates.json").read_text("utf-8")
        )
        with self._errors("installing the review desk's index templates"):
            for key, index in zip(DESK_TEMPLATE_KEYS, self._desk_indices()):
                # The client takes ``_meta`` through its parameter aliases (sent as the body's
                # "_meta"), which its signature does not list.
                self.client.indices.put_index_template(  # type: ignore[call-arg]
                    name=index,
                    index_patterns=[index],
                    template=bodies[key],
                    priority=settings.ES_TEMPLATE_PRIORITY,
                    _meta={"managed_by": "leaktrack"},
                )
        with self._errors("creating the review desk's indices"):
            for index in self._desk_indices():
                if not self.client.indices.exists(index=index):
                    self._create_index(index, {})

    def _desk_indices(self) -> tuple[str, ...]:
        return (self._users_index, self._audit_index, self._alerts_index)

    def claim_alert(self, match_id: str, event: str) -> bool:
        # ``create`` of an existing id is a 409: someone claimed this alert before.
        with self._errors("claiming an alert"):
            try:
                self.client.create(
                    index=self._alerts_index,
                    id=f"{match_id}:{event}",
                    document={"match_id": match_id, "event": event, "at": time_text(utcnow())},
                    refresh="wait_for",
                )
            except ConflictError:
                return False
        return True

    def release_alert(self, match_id: str, event: str) -> None:
        with self._errors("releasing an alert"):
            self.client.options(ignore_status=404).delete(
                index=self._alerts_index, id=f"{match_id}:{event}", refresh="wait_for"
            )

    def save_user(self, account: UserAccount) -> None:
        check_role(account.role)
        with self._errors("saving a user"):
            self.client.index(
                index=self._users_index, id=account.name, document=user_to_doc(account), refresh="wait_for"
            )

    def get_user(self, name: str) -> UserAccount:
        with self._errors("reading a user"):
            hits = self.client.search(index=self._users_index, query={"ids": {"values": [name]}}, size=1)
        found = hits["hits"]["hits"]
        if not found:
            raise NotFoundError(f"no user named {name!r}")
        return user_from_doc(found[0]["_source"])

    def list_users(self) -> list[UserAccount]:
        with self._errors("listing users"):
            hits = self.client.search(
                index=self._users_index, sort=[{"name": "asc"}], size=settings.ITER_PAGE_SIZE
            )
        return [user_from_doc(hit["_source"]) for hit in hits["hits"]["hits"]]

    def record_audit(self, entry: AuditEntry) -> None:
        document = {
            "at": time_text(entry.at),
            "user": entry.user,
            "action": entry.action,
            "target": entry.target,
            "details": entry.details,
        }
        with self._errors("writing the audit trail"):
            self.client.index(
                index=self._audit_index, id=uuid.uuid4().hex, document=document, refresh="wait_for"
            )

    def list_audit(
        self, target: str | None = None, user: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        filters = [{"term": {name: value}} for name, value in (("target", target), ("user", user)) if value]
        with self._errors("reading the audit trail"):
            hits = self.client.search(
                index=self._audit_index,
                query={"bool": {"filter": filters}},
                sort=[{"at": "desc"}],
                size=min(limit, settings.ITER_PAGE_SIZE),
            )
        return [
            AuditEntry(
                user=doc["user"],
                action=doc["action"],
                target=doc.get("target"),
                details=doc.get("details") or {},
                at=required_time_from_text(doc["at"]),
            )
            for doc in (hit["_source"] for hit in hits["hits"]["hits"])
        ]

    def queue_page(
        self, where: QueueFilter, sort: str = "records", after: tuple | None = None, limit: int = 50
    ) -> QueuePage:
        from .elastic import match_from_doc

        field_name = check_sort(sort)
        with self._errors("reading the queue"):
            response = self.client.search(
                index=self.names.matches_alias,
                query=queue_filter_query(where),
                sort=[{field_name: "desc"}, {"id": "desc"}],
                size=limit + 1,
                search_after=list(after) if after else None,
            )
        hits = response["hits"]["hits"]
        matches = [match_from_doc(hit["_source"]) for hit in hits[:limit]]
        next_after = tuple(hits[limit - 1]["sort"]) if len(hits) > limit else None
        return QueuePage(matches, next_after)

    def exposure_page(self, record_id: str, after: str | None = None, limit: int = 50) -> ExposurePage:
        from .elastic import match_from_doc

        with self._errors("reading a record's exposure"):
            response = self.client.search(
                index=self.names.matches_alias,
                query={"term": {"matched_records": record_id}},
                sort=[{"id": "desc"}],
                size=limit + 1,
                search_after=[after] if after is not None else None,
                track_total_hits=True,
            )
        hits = response["hits"]["hits"]
        matches = [match_from_doc(hit["_source"]) for hit in hits[:limit]]
        next_after = hits[limit - 1]["_source"]["id"] if len(hits) > limit else None
        return ExposurePage(matches, next_after, response["hits"]["total"]["value"])
