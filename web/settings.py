"""Every default and limit of the review desk, documented once."""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"  # loopback unless told: the desk shows where people's data is exposed
DEFAULT_PORT = 8750

# A signed session cookie lasts this long; after it a reviewer logs in again.
SESSION_MAX_AGE_SECONDS = 8 * 3600
SESSION_COOKIE = "leaktrack_session"
# The secret that signs session cookies: a file in the home folder, owner-only, made on first serve.
SECRET_FILE = "desk-secret"
SECRET_BYTES = 32

# Login rate limiting: at most this many failed logins per client address (and per user name)
# in the window; then every login from it is refused with 429 until the window has passed.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 300

# Forms are small (a note, an address, a password): a larger body is refused with 413 before it
# is read whole, and a form with more fields than this is refused as malformed.
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20
# Query-string values longer than this are refused (400): no filter needs more.
MAX_QUERY_VALUE_CHARS = 512

QUEUE_PAGE_SIZE = 50
EXPOSURE_PAGE_SIZE = 50  # copies per page of a person's exposure
AUDIT_SHOWN = 50  # audit entries shown on a copy's page
SWEEPS_SHOWN = 30

# Dashboard figures are computed by the store (a full scan: seconds at a million matches), in the
# background (web/dashboard.py); a request that finds them older than this starts a new computation.
DASHBOARD_CACHE_SECONDS = 120
# The dashboard's charts show at most this many days and hosts/sources.
CHART_MAX_DAYS = 90
CHART_MAX_BARS = 15

# The minimal length of a desk password (accounts are created from the command line).
MIN_PASSWORD_CHARS = 12
