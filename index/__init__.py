"""The match store: SQLite by default, Elasticsearch at scale, one interface.

The names below are imported on first use (PEP 562): the CLI's settings table reads
``index.settings`` at every start, which must not load the store's modules (issue 10,
``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "NEEDS_REVIEW_STATUSES": "base",
    "STATUSES": "base",
    "STILL_UP_STATUSES": "base",
    "TRANSITIONS": "base",
    "FoundCopy": "base",
    "Match": "base",
    "MatchStore": "base",
    "StatusChange": "base",
    "StoreStats": "base",
    "SweepRecord": "base",
    "match_id_for_url": "base",
    "open_store": "open",
    "open_workspace_store": "open",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value
