"""leaktrack: find re-uploads of a leaked dataset and track their takedown.

Subpackages, in import order (each imports only those after it):
``leaktrack.cli`` -> ``leaktrack.spiders`` -> ``leaktrack.index`` -> ``leaktrack.fingerprints``.
``leaktrack.errors`` and ``leaktrack.home`` are shared by all of them.
"""

__version__ = "0.1.0"
