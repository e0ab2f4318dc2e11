"""Every default and limit of the takedown wing, documented once."""

from __future__ import annotations

# Shipped with the package, next to this module.
PLATFORMS_FILE = "platforms.toml"
TEMPLATE_DIR = "templates"
DEFAULT_TEMPLATE = "takedown_notice.txt.j2"

# -- contact lookups (fetch.py, rdap.py, security_txt.py, contacts.py) -------------------------
# One HTTP request of a lookup may take this long; RDAP servers answer in well under a second,
# and a lookup that hangs must not hold up the others.
LOOKUP_TIMEOUT_SECONDS = 10.0
# RDAP answers are a few kB; security.txt is a few hundred bytes. Anything past this is refused.
LOOKUP_MAX_BYTES = 1_000_000
# Thin registries redirect to the registrar's server; one or two hops is normal.
LOOKUP_MAX_REDIRECTS = 3
USER_AGENT = "leaktrack-takedown (contact lookup)"
# Lookups running at once, and at once per RDAP or web server (registries rate-limit).
LOOKUP_WORKERS = 8
LOOKUP_PER_SERVER = 2
# How long a lookup's answer is kept (registration data changes rarely), and a failure (so a
# server that was down is asked again soon).
LOOKUP_CACHE_DAYS = 7
LOOKUP_FAILURE_CACHE_HOURS = 1
# RFC 7484 bootstrap files (dns.json, ipv4.json, ipv6.json) are fetched from here and cached.
RDAP_BOOTSTRAP_BASE = "https://data.iana.org/rdap/"
RDAP_BOOTSTRAP_CACHE_DAYS = 1
# The order contacts are written to: a platform's own form first, then the site's security.txt
# contact, the network hosting the address, and last the domain's registrar.
CONTACT_LADDER = ("platform", "host", "hosting", "registrar")
