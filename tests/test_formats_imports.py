"""The formats wing (untrusted bytes -> lines) imports nothing of leaktrack outside itself."""

from __future__ import annotations

import ast
from pathlib import Path

import leaktrack.fingerprints.formats as formats

FORMATS_DIR = Path(formats.__file__).parent


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in the file; level > 0 for relative imports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((0, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_formats_modules_import_only_each_other_and_third_parties():
    modules = sorted(FORMATS_DIR.glob("*.py"))
    assert len(modules) > 5
    offending = [
        f"{path.name}: {'.' * level}{module}"
        for path in modules
        for level, module in imports_of(path)
        if level > 1 or (level == 0 and module.split(".")[0] == "leaktrack")
    ]
    assert offending == []


def test_the_import_check_sees_a_parent_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from ..errors import DocumentError\nimport leaktrack.fingerprints.scan\n")
    assert imports_of(probe) == [(2, "errors"), (0, "leaktrack.fingerprints.scan")]
