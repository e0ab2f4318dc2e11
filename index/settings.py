"""Every default and limit of the match store and the takedown queue, documented once."""

from __future__ import annotations

# SQLite: how long a writer waits for another process's write (a sweep committing a batch
# while a responder reviews) before giving up with a StoreError. Batches commit in well under
# a second, so 30 s only runs out when something is truly stuck.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

# SQLite page cache per connection. The default (2 MB) is far smaller than the queue's indexes
# at a million matches (bench/store.py), so most index pages would be fetched from the file again.
SQLITE_CACHE_MB = 64

# Copies written per transaction by ``upsert_copies``: a crash mid-sweep loses at most this
# many, and a concurrent reviewer never waits long for the write lock.
UPSERT_BATCH_SIZE = 2_000

# Matches read per query when streaming the whole store (export at millions of matches).
ITER_PAGE_SIZE = 1_000

# How many matches ``queue list`` and ``queue search`` show unless told otherwise.
DEFAULT_QUEUE_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 50
# The largest count or limit a store query takes: SQLite's (and Elasticsearch's ``long``) largest
# integer. Larger --limit/--min-records values are taken as this one (no query can exceed it).
LARGEST_COUNT = 2**63 - 1

# Formats of ``queue export``; CSV joins a match's record ids with this separator.
EXPORT_FORMATS = ("jsonl", "csv")
CSV_RECORD_SEPARATOR = ";"
# A CSV cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection"):
# an exported page title that starts so gets a leading apostrophe.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Files written for responders (exports, drafted notices) hold evidence: owner-only.
EVIDENCE_FILE_MODE = 0o600

# Who a CLI status change is recorded as when ``--by`` is not given and $USER is unset.
DEFAULT_ACTOR = "cli"

# -- Elasticsearch (index/elastic.py) -----------------------------------------------------------
# Environment variables of the Elasticsearch settings (cli/workspace.py resolves them, or es.* of
# the config file); the credentials' names are also their names in the run's Secrets
# (credentials.py). Never command-line options, which end up in shell history.
ES_API_KEY_ENV = "LEAKTRACK_ES_API_KEY"
ES_USER_ENV = "LEAKTRACK_ES_USER"
ES_PASSWORD_ENV = "LEAKTRACK_ES_PASSWORD"
ES_CA_CERTS_ENV = "LEAKTRACK_ES_CA_CERTS"
ES_INDEX_PREFIX_ENV = "LEAKTRACK_ES_INDEX_PREFIX"

# Index, alias and template names start with this prefix (``leaktrack-matches`` ...), so
# several deployments or test runs can share one cluster.
ES_DEFAULT_INDEX_PREFIX = "leaktrack"

# How long opening the store waits for a TCP connection to the cluster. A live cluster, even a
# busy one, accepts within milliseconds; a refused connection fails at once, a host that drops
# packets after this long (instead of after the request timeout and the client's retries).
ES_CONNECT_TIMEOUT_SECONDS = 5.0

# Elasticsearch majors the store works with, and the extra that installs the client of each
# (the client's major must follow the cluster's: a 9.x client is refused by 8.x clusters).
ES_SUPPORTED_MAJORS = (8, 9)
ES_EXTRAS = {8: "es8", 9: "es9"}

# Per-request timeout. Bulk chunks of ES_BULK_CHUNK_SIZE matches finish in well under this.
ES_REQUEST_TIMEOUT_SECONDS = 30.0

# Actions per ``_bulk`` request: Elastic's guidance is 5-15 MB per request; a match document
# is 1-5 kB with a few hundred record ids, so 500 stays far below.
ES_BULK_CHUNK_SIZE = 500

# Priority of our composable index templates: above the 100 of Elasticsearch's built-in
# templates, so an overlapping built-in pattern never wins.
ES_TEMPLATE_PRIORITY = 200

# How long a point-in-time stays open between two pages of an export.
ES_PIT_KEEP_ALIVE = "2m"

# Distinct values (sources, record ids) per page of a composite aggregation in ``stats``:
# every page is fetched, so this bounds one response's size, not what is counted.
ES_AGGREGATION_PAGE_SIZE = 1_000
