"""How fast copies come down: first seen -> notice, notice -> removal, per host and per source
(``MatchStore.takedown_metrics``), and the notified copies still up and for how long."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from ..index import MatchStore

# Track steps in which the copy is (as far as we know) still online.
STILL_UP_STEPS = ("notified", "reminded", "reappeared")


@dataclass
class StillUp:
    copies: int
    days_up_median: float | None  # since first seen, over the notified copies still up
    days_up_max: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def still_up(store: MatchStore, now: datetime) -> StillUp:
    ages = [
        (now - track.first_seen).total_seconds() / 86400
        for step in STILL_UP_STEPS
        for track in store.tracks_due(step, now)
    ]
    return StillUp(
        copies=len(ages),
        days_up_median=statistics.median(ages) if ages else None,
        days_up_max=max(ages) if ages else None,
    )


def takedown_figures(store: MatchStore, now: datetime) -> dict:
    """Everything `leaktrack stats` shows about takedowns, as JSON-able data."""
    return {
        "per_host": [metric.as_dict() for metric in store.takedown_metrics("host")],
        "per_source": [metric.as_dict() for metric in store.takedown_metrics("source")],
        "notified_still_up": still_up(store, now).as_dict(),
    }
