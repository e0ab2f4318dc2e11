"""Every default and limit of the match store and the takedown queue, documented once."""

from __future__ import annotations

# SQLite: how long a writer waits for another process's write (a sweep committing a batch
# while a responder reviews) before giving up with a StoreError. Batches commit in well under
# a second, so 30 s only runs out when something is truly stuck.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

# Copies written per transaction by ``upsert_copies``: a crash mid-sweep loses at most this
# many, and a concurrent reviewer never waits long for the write lock.
UPSERT_BATCH_SIZE = 2_000

# Matches read per query when streaming the whole store (export at millions of matches).
ITER_PAGE_SIZE = 1_000

# How many matches ``queue list`` and ``queue search`` show unless told otherwise.
DEFAULT_QUEUE_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 50

# Formats of ``queue export``; CSV joins a match's record ids with this separator.
EXPORT_FORMATS = ("jsonl", "csv")
CSV_RECORD_SEPARATOR = ";"

# Files written for responders (exports, drafted notices) hold evidence: owner-only.
EVIDENCE_FILE_MODE = 0o600

# Shipped with the package, next to this module.
ABUSE_CONTACTS_FILE = "abuse_contacts.toml"
TAKEDOWN_TEMPLATE_DIR = "templates"
DEFAULT_TAKEDOWN_TEMPLATE = "takedown_notice.txt.j2"

# Who a CLI status change is recorded as when ``--by`` is not given and $USER is unset.
DEFAULT_ACTOR = "cli"
