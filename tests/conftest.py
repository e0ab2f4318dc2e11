"""Shared test setup. Each part of the project keeps its fixtures in its own module."""

import pytest

pytest_plugins = ["fixtures_data", "fixtures_store", "fixtures_sites"]


@pytest.fixture(autouse=True)
def leaktrack_home(tmp_path, monkeypatch):
    """Every test gets its own home folder, so none writes to ./.leaktrack or sees another's."""
    home = tmp_path / "lt-home"
    monkeypatch.setenv("LEAKTRACK_HOME", str(home))
    monkeypatch.delenv("LEAKTRACK_STORE", raising=False)
    return home
