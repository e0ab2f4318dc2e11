"""Checks of single values in the sources file, shared by the file's own keys (sources.py) and
the API kinds' keys (api_sources.py): each returns the value or raises a one-line SourcesError
naming the source and the key."""

from __future__ import annotations

from ..errors import SourcesError


def optional_positive_int(raw: dict, key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SourcesError(f"{where}: {key} must be a positive integer")
    return value


def flag(raw: dict, key: str, where: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise SourcesError(f"{where}: {key} must be true or false")
    return value
