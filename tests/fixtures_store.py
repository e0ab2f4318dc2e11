"""Fixtures of the match store: the ``store`` fixture runs a test once per backend.

To add a backend, append ``(name, factory)`` to ``STORE_BACKENDS``; ``factory(tmp_path)``
returns an open, empty ``MatchStore`` (and may call ``pytest.skip`` when its service is absent).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from es_backends import ES_STORE_BACKENDS

from leaktrack.index import FoundCopy, MatchStore
from leaktrack.index.sqlite import SQLiteStore

STORE_BACKENDS: list[tuple[str, Callable[[Path], MatchStore]]] = [
    ("sqlite", lambda tmp_path: SQLiteStore(tmp_path / "matches.db")),
]
STORE_BACKENDS += ES_STORE_BACKENDS  # "es-standin" always, "es-real" when LEAKTRACK_TEST_ES_URL is set

# A fixed clock for generated sightings, so ordering by time is chosen by the test.
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def found_copy(
    url: str,
    records: list[str],
    *,
    source: str = "pastes",
    minutes: int = 0,
    sha: str | None = None,
    title: str | None = None,
    containment: float = 0.5,
) -> FoundCopy:
    """A sweep's report of one copy, seen ``minutes`` after T0."""
    return FoundCopy(
        source=source,
        url=url,
        content_sha256=sha or hashlib.sha256(f"{url} {records}".encode()).hexdigest(),
        matched_records=list(records),
        containment=containment,
        seen_at=T0 + timedelta(minutes=minutes),
        title=title,
    )


@pytest.fixture(params=[name for name, _ in STORE_BACKENDS])
def store(request, tmp_path):
    """An empty store of each backend in turn."""
    opened = dict(STORE_BACKENDS)[request.param](tmp_path)
    yield opened
    opened.close()
