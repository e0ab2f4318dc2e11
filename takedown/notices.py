"""Takedown notices: a removal request carrying the evidence, and never the personal data.

One template per kind of recipient (``settings.TEMPLATES``): a personal-data removal request to
a site, the text for a platform's privacy form, an abuse report to a hosting network, and one to
a registrar. Who the people in the leak are and what it exposes is the case's wording
(``NoticeWording``), never written into a template.

The template sees only what ``notice_context`` gives it (URL, host, dates, content hash,
number of records, earlier notices' dates and roles): not record ids, not titles (a page title
can quote the leak), so even a custom template cannot put personal data into a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.sandbox

from ..errors import TakedownTemplateError
from ..index import Match
from ..index.takedown_records import Notice
from . import settings
from .platforms import platform_contact

DEFAULT_RECIPIENT = "abuse team"
DEFAULT_SENDER = "[your name, organisation and contact details]"


@dataclass(frozen=True)
class NoticeWording:
    """What the notices say about the people affected: the case's words (config ``[takedown]``)."""

    affected_people: str = settings.DEFAULT_AFFECTED_PEOPLE
    data_description: str = settings.DEFAULT_DATA_DESCRIPTION
    harm: str = settings.DEFAULT_HARM


@dataclass(frozen=True)
class RenderedNotice:
    template: str
    subject: str
    body: str

    @property
    def text(self) -> str:
        return f"Subject: {self.subject}\n\n{self.body}"


def notice_context(
    match: Match,
    sender: str | None = None,
    recipient: str | None = None,
    wording: NoticeWording | None = None,
    previous: list[Notice] | None = None,
    domain: str | None = None,
) -> dict:
    if recipient is None:
        contact = platform_contact(match.host)
        recipient = f"{contact.name} {DEFAULT_RECIPIENT}" if contact else DEFAULT_RECIPIENT
    wording = wording or NoticeWording()
    return {
        "match_id": match.id,
        "url": match.url,
        "host": match.host,
        "domain": domain or match.host,
        "first_seen": match.first_seen.strftime("%Y-%m-%d %H:%M"),
        "last_seen": match.last_seen.strftime("%Y-%m-%d %H:%M"),
        "content_sha256": match.content_sha256,
        "records_exposed": match.matched_count,
        "recipient": recipient,
        "sender": sender or DEFAULT_SENDER,
        "affected_people": wording.affected_people,
        "data_description": wording.data_description,
        "harm": wording.harm,
        "reminder": bool(previous),
        "previous": [
            {"sent_at": notice.sent_at.strftime("%Y-%m-%d"), "role": notice.role} for notice in previous or []
        ],
    }


def _load_template(template_path: Path | None, name: str = settings.DEFAULT_TEMPLATE) -> jinja2.Template:
    # StrictUndefined: a typo in a custom template is an error, not a silent blank in a legal notice.
    loader: jinja2.BaseLoader
    if template_path is None:
        loader = jinja2.PackageLoader("leaktrack.takedown", settings.TEMPLATE_DIR)
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
        raise TakedownTemplateError(f"takedown template not found: {template_path or name}") from error
    except jinja2.TemplateSyntaxError as error:
        raise TakedownTemplateError(
            f"takedown template {template_path or name}, line {error.lineno}: {error.message}"
        ) from error
    except UnicodeDecodeError as error:
        raise TakedownTemplateError(f"takedown template {template_path} is not valid UTF-8 text") from error


def render(template: jinja2.Template, context: dict, shown_name: str) -> str:
    try:
        return template.render(context)
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(context))
        raise TakedownTemplateError(
            f"takedown template {shown_name}: {error.message} (known: {known})"
        ) from error
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as error:
        # A custom template's own mistake (a missing include, 1/0, a bad filter argument): the user's to fix.
        raise TakedownTemplateError(
            f"takedown template {shown_name}: {type(error).__name__}: {error}"
        ) from error


def draft_notice(match: Match, template_path: Path | None = None, sender: str | None = None) -> str:
    """The notice for ``match``, from the default template or ``template_path``."""
    if sender is not None and _not_utf8(sender):  # e.g. a shell argument with bytes that are not UTF-8
        raise TakedownTemplateError("--sender is not valid UTF-8 text")
    template = _load_template(template_path)
    return render(template, notice_context(match, sender), str(template_path))


def notice_for(
    match: Match,
    role: str,
    context: dict,
    template_path: Path | None = None,
) -> RenderedNotice:
    """The notice for a contact of ``role``, split into subject and body (first line ``Subject: ...``)."""
    name = settings.TEMPLATES.get(role, settings.DEFAULT_TEMPLATE)
    template = _load_template(template_path, name)
    shown = str(template_path) if template_path else name
    text = render(template, context, shown)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise TakedownTemplateError(f"takedown template {shown}: its first line must be 'Subject: ...'")
    return RenderedNotice(
        template=shown, subject=first.removeprefix("Subject:").strip(), body=body.lstrip("\n")
    )


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
