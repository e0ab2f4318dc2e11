"""The match store: SQLite by default, Elasticsearch at scale, one interface."""

from .base import (
    NEEDS_REVIEW_STATUSES,
    STATUSES,
    STILL_UP_STATUSES,
    TRANSITIONS,
    FoundCopy,
    Match,
    MatchStore,
    StatusChange,
    StoreStats,
    SweepRecord,
    match_id_for_url,
)
from .open import open_store, open_workspace_store

__all__ = [
    "NEEDS_REVIEW_STATUSES",
    "STATUSES",
    "STILL_UP_STATUSES",
    "TRANSITIONS",
    "FoundCopy",
    "Match",
    "MatchStore",
    "StatusChange",
    "StoreStats",
    "SweepRecord",
    "match_id_for_url",
    "open_store",
    "open_workspace_store",
]
