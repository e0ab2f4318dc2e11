"""Each compiled extension is built wherever a C compiler is. setup.py builds them
``optional`` (an install without a compiler still works, on the pure-Python twins), so a
compile error is silent at install: the suites comparing each extension with its twin would
then skip or compare the twin with itself, and only this test says so."""

from __future__ import annotations

import importlib
import shutil
import sysconfig

import pytest

EXTENSIONS = {
    "leaktrack.fingerprints._firstpass": "fingerprints/_firstpass.c",
    "leaktrack.fingerprints._linekeys": "fingerprints/_linekeys.c",
    "leaktrack.fingerprints.formats._textshape": "fingerprints/formats/_textshape.c",
}


@pytest.mark.parametrize("module", sorted(EXTENSIONS))
def test_each_compiled_extension_is_built_where_a_c_compiler_is(module):
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the pure-Python twins run")
    try:
        importlib.import_module(module)
    except ImportError as error:
        pytest.fail(f"{EXTENSIONS[module]} is not built ({error}): run `pip install -e .`")
