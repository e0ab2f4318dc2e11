"""The console script's entry point: Ctrl-C while leaktrack starts is "Interrupted.", not a traceback.

Importing the commands loads Scrapy, numpy and the store clients, which takes a moment; this
module imports nothing of ours until the interrupt is handled.
"""

import sys

INTERRUPTED = 130  # errors.ExitCode.INTERRUPTED, not imported: this module must import nothing


def main() -> None:
    try:
        from .app import main as run_app

        run_app()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(INTERRUPTED)
