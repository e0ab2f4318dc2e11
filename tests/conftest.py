"""Shared test setup. Each part of the project keeps its fixtures in its own module."""

import pytest

pytest_plugins = ["fixtures_data", "fixtures_store", "fixtures_sites", "smtp_servers"]


@pytest.fixture(autouse=True)
def leaktrack_home(tmp_path, monkeypatch):
    """Every test gets its own home folder, so none writes to ./.leaktrack or sees another's.

    The CLI finds it through LEAKTRACK_HOME; library calls take the ``workspace`` fixture."""
    home = tmp_path / "lt-home"
    monkeypatch.setenv("LEAKTRACK_HOME", str(home))
    for name in (
        "LEAKTRACK_STORE",
        "LEAKTRACK_FINGERPRINTS",
        "LEAKTRACK_KEY_FILE",
        "LEAKTRACK_SOURCES",
        "LEAKTRACK_CASE",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def workspace(leaktrack_home):
    """The test's home folder as the library sees it: every path resolved."""
    from leaktrack.home import Workspace

    return Workspace.in_folder(leaktrack_home)
