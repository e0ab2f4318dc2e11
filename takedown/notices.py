"""Takedown notices: a removal request carrying the evidence, and never the personal data.

The template sees only what ``notice_context`` gives it (URL, host, dates, content hash,
number of records): not record ids, not titles (a page title can quote the leak), so even
a custom template cannot put personal data into a notice.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.sandbox

from ..errors import TakedownTemplateError
from ..index import Match
from . import settings
from .platforms import platform_contact

DEFAULT_RECIPIENT = "abuse team"
DEFAULT_SENDER = "[your name, organisation and contact details]"


def notice_context(match: Match, sender: str | None = None) -> dict:
    contact = platform_contact(match.host)
    return {
        "match_id": match.id,
        "url": match.url,
        "host": match.host,
        "first_seen": match.first_seen.strftime("%Y-%m-%d %H:%M"),
        "last_seen": match.last_seen.strftime("%Y-%m-%d %H:%M"),
        "content_sha256": match.content_sha256,
        "records_exposed": match.matched_count,
        "recipient": f"{contact.name} {DEFAULT_RECIPIENT}" if contact else DEFAULT_RECIPIENT,
        "sender": sender or DEFAULT_SENDER,
    }


def _load_template(template_path: Path | None) -> jinja2.Template:
    # StrictUndefined: a typo in a custom template is an error, not a silent blank in a legal notice.
    if template_path is None:
        loader = jinja2.PackageLoader("leaktrack.takedown", settings.TEMPLATE_DIR)
        name = settings.DEFAULT_TEMPLATE
    else:
        loader = jinja2.FileSystemLoader(str(template_path.parent or "."))
        name = template_path.name
    # Sandboxed: a custom template cannot walk from a string to Python objects holding record ids.
    environment = jinja2.sandbox.SandboxedEnvironment(
        loader=loader, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    try:
        return environment.get_template(name)
    except jinja2.TemplateNotFound as error:
        raise TakedownTemplateError(f"takedown template not found: {template_path}") from error
    except jinja2.TemplateSyntaxError as error:
        raise TakedownTemplateError(
            f"takedown template {template_path}, line {error.lineno}: {error.message}"
        ) from error
    except UnicodeDecodeError as error:
        raise TakedownTemplateError(f"takedown template {template_path} is not valid UTF-8 text") from error


def draft_notice(match: Match, template_path: Path | None = None, sender: str | None = None) -> str:
    """The notice for ``match``, from the default template or ``template_path``."""
    if sender is not None and _not_utf8(sender):  # e.g. a shell argument with bytes that are not UTF-8
        raise TakedownTemplateError("--sender is not valid UTF-8 text")
    template = _load_template(template_path)
    try:
        return template.render(notice_context(match, sender))
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(notice_context(match)))
        raise TakedownTemplateError(
            f"takedown template {template_path}: {error.message} (known: {known})"
        ) from error
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as error:
        # A custom template's own mistake (a missing include, 1/0, a bad filter argument): the user's to fix.
        raise TakedownTemplateError(
            f"takedown template {template_path}: {type(error).__name__}: {error}"
        ) from error


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
