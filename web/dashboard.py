"""The dashboard's figures, computed by the store in the background and served from memory.

Computing them reads every match (and every exposed record): seconds at a million matches
(bench/webapp.py), far too slow for a page. So the desk computes them once at start-up, in a
thread with its own store connection, and again in the background whenever a request finds them
older than ``DASHBOARD_CACHE_SECONDS``; a request never waits for that, except the very first
one (before any figures exist), which waits for the computation in flight.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from ..errors import LeaktrackError
from ..index import MatchStore
from ..index.desk import DashboardFigures
from . import settings

log = logging.getLogger(__name__)


class DashboardCache:
    def __init__(self, open_store: Callable[[], MatchStore]):
        self.open_store = open_store
        # The figures and when they were computed, swapped in as one (a reader never sees half).
        self.latest: tuple[DashboardFigures, datetime] | None = None
        self.error: LeaktrackError | None = None
        self._lock = threading.Lock()
        self._refreshing: threading.Thread | None = None

    def refresh_in_background(self) -> threading.Thread:
        with self._lock:
            if self._refreshing is None or not self._refreshing.is_alive():
                self._refreshing = threading.Thread(target=self._compute, name="desk-dashboard", daemon=True)
                self._refreshing.start()
            return self._refreshing

    def _compute(self) -> None:
        try:
            with self.open_store() as store:
                figures = store.dashboard()
        except LeaktrackError as error:  # the page says so; the next request tries again
            log.warning("dashboard figures: %s", error)
            self.error = error
            return
        self.latest, self.error = (figures, datetime.now(UTC)), None

    def get(self) -> tuple[DashboardFigures, datetime]:
        """The latest figures (and when they were computed); starts a refresh when they are old."""
        latest = self.latest
        if latest is None:
            self.refresh_in_background().join()
            latest = self.latest
            if latest is None:
                raise self.error or LeaktrackError("the dashboard figures could not be computed")
        elif (datetime.now(UTC) - latest[1]).total_seconds() > settings.DASHBOARD_CACHE_SECONDS:
            self.refresh_in_background()
        return latest
