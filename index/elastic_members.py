"""What the Elasticsearch store's mixins (desk records, takedown records) take from
``ElasticsearchStore``, declared once for the type checker. Empty at run time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from .base import Match
    from .elastic import IndexNames, StoredMatch


class ElasticStoreMembers:
    if TYPE_CHECKING:  # provided by ElasticsearchStore, which the mixins are mixed into
        url: str
        names: IndexNames
        client: Elasticsearch
        _newest_first_sort: list[dict[str, str]]

        def _errors(self, doing: str) -> AbstractContextManager[None]: ...
        def _create_index(self, name: str, aliases: dict) -> None: ...
        def _fetch(self, match_ids: Iterable[str]) -> dict[str, StoredMatch]: ...
        def get(self, match_id: str) -> Match: ...
        def _search_pages(self, index: str, query: dict, sort: list, page_size: int) -> Iterator[dict]: ...
        def _matches(self, query: dict, sort: list, limit: int | None) -> list[Match]: ...
