"""The compiled first pass of the scanner (fingerprints/_firstpass.c), the compiled keys of
its second pass (fingerprints/_linekeys.c) and plain text's compiled line tests
(fingerprints/formats/_textshape.c), built by pip with the machine's C compiler.
Everything else is in pyproject.toml. ``optional``: without a compiler the install still
succeeds, and the scanner runs its pure-Python first pass and numpy second pass, and
extraction its Python line tests (same results)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "leaktrack.fingerprints._firstpass",
            sources=["fingerprints/_firstpass.c"],
            depends=["fingerprints/_growable.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        # The keys of candidate lines (fingerprints/_linekeys.c, wrapped by line_keys.py, which
        # holds the numpy fallback giving the same keys).
        Extension(
            "leaktrack.fingerprints._linekeys",
            sources=["fingerprints/_linekeys.c"],
            depends=["fingerprints/_growable.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        # Plain text's record-block and fixed-width line tests (fingerprints/formats/
        # _textshape.c, wrapped by formats/records.py and formats/tables.py, whose Python code
        # is the fallback giving the same results). Part of the formats wing: no leaktrack import.
        Extension(
            "leaktrack.fingerprints.formats._textshape",
            sources=["fingerprints/formats/_textshape.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
    ]
)
