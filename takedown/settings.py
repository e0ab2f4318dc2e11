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

# -- notices (notices.py) -------------------------------------------------------------------------
# The template for each contact role; a role not listed gets DEFAULT_TEMPLATE.
TEMPLATES = {
    "platform": "platform_privacy_form.txt.j2",
    "host": DEFAULT_TEMPLATE,
    "hosting": "hosting_network.txt.j2",
    "registrar": "registrar.txt.j2",
}
# What a notice says about the people in the leak when the case says nothing: neutral words.
# A case's own wording (who they are, what is exposed, the harm) belongs in its config.
DEFAULT_AFFECTED_PEOPLE = "private individuals who did not agree to its publication"
DEFAULT_DATA_DESCRIPTION = "their names and other personal details"
DEFAULT_HARM = "Its continued availability puts them at risk of harm."

# -- sending (sending.py) -------------------------------------------------------------------------
SMTP_SECURITY_MODES = ("starttls", "tls", "none")
DEFAULT_SMTP_SECURITY = "starttls"
DEFAULT_SMTP_HOST = "localhost"
DEFAULT_SMTP_PORT = {"starttls": 587, "tls": 465, "none": 25}
SMTP_TIMEOUT_SECONDS = 30.0

# -- escalation and monitoring (schedule.py) ------------------------------------------------------
# Days a copy may stay up after a notice before a reminder is due, and after the reminder before
# the next contact in line is written to. Trusted takedown services follow up within days.
REMIND_AFTER_DAYS = 3
ESCALATE_AFTER_DAYS = 3
# A removed copy is re-checked this often, and counts as resolved once it stayed gone this long
# (a host that restores content usually does so within days).
RECHECK_EVERY_DAYS = 1
RESOLVED_AFTER_DAYS = 7
# How many actions of each kind `takedown due` lists unless told otherwise.
DEFAULT_DUE_LIMIT = 100
