"""Every command starts without the libraries it does not use (issue 10: start-up under 0.3 s).

Structural, not timed: each test runs a command in a fresh interpreter and looks at which
modules it imported. The heavy ones (Scrapy and Twisted, numpy, pydantic, the store clients,
the desk's web stack, jinja2, the takedown finder's tldextract and requests, the document
parsers) each cost tens to hundreds of milliseconds of CPU at import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from leaktrack.cli import lazy
from leaktrack.cli.app import app

# Top-level packages no command may import unless it uses them.
HEAVY = {
    "scrapy",
    "twisted",
    "numpy",
    "pydantic",
    "elasticsearch",
    "starlette",
    "uvicorn",
    "jinja2",
    "tldextract",
    "requests",
    "datasketch",
    "scipy",
    "openpyxl",
    "PIL",
    "pypdfium2",
    "docx",
    "py7zr",
    "apprise",
    "warcio",
    "redis",
    "scrapy_redis",
    "argon2",
}

_RUN_AND_LIST_MODULES = """
import json, sys
out, sys.argv = sys.argv[1], ["leaktrack", *sys.argv[2:]]
from leaktrack.cli.entry import main
try:
    main()
except SystemExit:
    pass
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
"""


def modules_after(tmp_path, *command: str) -> set[str]:
    """The modules a fresh interpreter has imported once ``leaktrack COMMAND...`` is done."""
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, str(listing), *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.exists(), done.stderr
    return set(json.loads(listing.read_text()))


def heavy_in(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in HEAVY}


def test_importing_the_cli_loads_no_heavy_library_and_no_command_module(tmp_path):
    listing = tmp_path / "modules.json"
    code = f"import json, sys, leaktrack.cli.app; json.dump(sorted(sys.modules), open({str(listing)!r}, 'w'))"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    modules = set(json.loads(listing.read_text()))
    assert heavy_in(modules) == set()
    assert not {m for m in modules if m.startswith("leaktrack.cli.") and m.endswith("_cmds")}


def test_top_level_help_lists_every_command_without_importing_their_modules(tmp_path):
    modules = modules_after(tmp_path, "--help")
    assert heavy_in(modules) == set()
    assert not {m for m in modules if m.endswith("_cmds")}
    assert not {m for m in modules if m.startswith("leaktrack.fingerprints")}
    # The store's settings (names of its environment variables) are in the settings table:
    assert {m for m in modules if m.startswith("leaktrack.index")} <= {
        "leaktrack.index",
        "leaktrack.index.settings",
    }


def test_top_level_help_shows_each_command_with_its_own_summary():
    listed = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    root = lazy.typer.main.get_command(app)
    for name in root.list_commands(None):
        command = root.get_command(None, name)  # the real command, its module imported
        summary = (command.help or "").strip().split("\n\n")[0].split("\n")[0]
        assert name in listed and summary[:60] in listed


def test_scan_of_a_small_file_loads_neither_the_store_nor_the_crawler(tmp_path, small_leak_csv):
    built = CliRunner().invoke(app, ["fingerprint", str(small_leak_csv), "--json"])
    assert built.exit_code == 0, built.output
    document = tmp_path / "note.txt"
    document.write_text("hello world\n")
    modules = modules_after(tmp_path, "scan", str(document))
    assert "leaktrack.fingerprints.scan" in modules  # it did scan
    assert heavy_in(modules) == {m for m in modules if m.split(".")[0] == "numpy"}
    assert not {m for m in modules if m.startswith("leaktrack.spiders")}
    # The workspace resolves the store URL (index/open.py), and opens no store:
    assert not {m for m in modules if m.startswith(("leaktrack.index.base", "leaktrack.index.sqlite"))}


# The readers of documents other than plain text, and the standard library behind them.
OTHER_FORMAT_READERS = {
    "leaktrack.fingerprints.formats.archives",
    "leaktrack.fingerprints.formats.html",
    "leaktrack.fingerprints.formats.images",
    "leaktrack.fingerprints.formats.jsondoc",
    "leaktrack.fingerprints.formats.mail",
    "leaktrack.fingerprints.formats.office",
    "leaktrack.fingerprints.formats.pdf",
    "charset_normalizer",
    "email.parser",
    "selectolax",
    "tarfile",
    "xml.etree",
    "zipfile",
}


def readers_in(modules: set[str]) -> set[str]:
    return {
        name for name in modules if any(name == r or name.startswith(r + ".") for r in OTHER_FORMAT_READERS)
    }


def test_scan_of_a_text_file_imports_no_reader_of_other_formats(tmp_path, small_leak_csv):
    built = CliRunner().invoke(app, ["fingerprint", str(small_leak_csv), "--json"])
    assert built.exit_code == 0, built.output
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "notes.txt").write_text("meeting notes\nroom 4, 10:30\n")
    (folder / "report.txt").write_text("name  room  time\nAnna  4     10:30\nBen   5     11:00\n")
    modules = modules_after(tmp_path, "scan", str(folder), "--workers", "1")
    assert "leaktrack.fingerprints.formats.text" in modules  # it did read the texts
    assert readers_in(modules) == set()


def test_scan_imports_a_reader_when_a_document_of_its_kind_comes(tmp_path, small_leak_csv):
    import zipfile

    built = CliRunner().invoke(app, ["fingerprint", str(small_leak_csv), "--json"])
    assert built.exit_code == 0, built.output
    with zipfile.ZipFile(tmp_path / "notes.zip", "w") as archive:
        archive.writestr("notes.txt", "meeting notes\n")
    modules = modules_after(tmp_path, "scan", str(tmp_path / "notes.zip"))
    assert {"leaktrack.fingerprints.formats.archives", "zipfile"} <= readers_in(modules)
    assert "leaktrack.fingerprints.formats.pdf" not in modules


def test_queue_list_loads_neither_the_scanner_nor_the_takedown_finder(tmp_path, workspace):
    from leaktrack.index import open_store

    open_store(workspace.store_url).close()
    modules = modules_after(tmp_path, "queue", "list")
    assert "leaktrack.index.sqlite" in modules  # it did read the store
    assert heavy_in(modules) == set()
    assert "leaktrack.fingerprints.scan" not in modules


def test_a_command_the_index_does_not_know_yet_still_runs(monkeypatch):
    """A stale command index (a command added, the index not regenerated) hides nothing."""
    monkeypatch.setattr(lazy, "_read_index", lambda: {})
    result = CliRunner().invoke(app, ["cases", "--help"])
    assert result.exit_code == 0
    assert "cases" in result.output


@pytest.mark.parametrize("typo, meant", [("scna", "scan"), ("queu", "queue")])
def test_a_mistyped_command_is_answered_with_the_command_meant(typo, meant):
    result = CliRunner().invoke(app, [typo])
    assert result.exit_code == 2
    assert f"'{meant}'" in result.output
