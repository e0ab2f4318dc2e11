"""Every default and limit of the takedown wing, documented once."""

from __future__ import annotations

# Shipped with the package, next to this module.
PLATFORMS_FILE = "platforms.toml"
TEMPLATE_DIR = "templates"
DEFAULT_TEMPLATE = "takedown_notice.txt.j2"
