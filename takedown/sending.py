"""Sending a notice by SMTP and recording it: Message-ID, recipient, where the address came from.

``prepare_notice`` picks the contact (the next in line for this copy), renders the template for
its role and builds the mail; ``send_notice`` hands it to the configured SMTP server and, only
once the server accepted it, records the notice, moves the match to ``takedown_sent`` and
updates its schedule track. A server that refuses, or cannot be reached, is a one-line
``TakedownSendError`` and nothing is recorded: the notice can be sent again.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from ..errors import LeaktrackError
from ..index import Match, MatchStore
from ..index.takedown_records import Notice
from . import settings
from .contacts import Contact, ContactReport
from .notices import NoticeWording, RenderedNotice, notice_context, notice_for
from .schedule import next_kind, track_after_notice


class TakedownSendError(LeaktrackError):
    """A notice cannot be sent: no contact to send it to, or the SMTP server refused it."""


class SmtpDeliveryError(TakedownSendError):
    """The SMTP server could not be reached, could not be trusted, or refused the notice."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how notices are sent. The server's certificate is always verified: against
    ``ca_file`` when given (a team's own mail relay with a private CA), else the system's CAs."""

    host: str
    sender: str  # the From address
    port: int | None = None
    security: str = "starttls"  # "starttls", "tls" or "none" (a local relay)
    username: str | None = None
    password: str | None = None
    timeout: float = settings.SMTP_TIMEOUT_SECONDS
    ca_file: Path | None = None  # PEM CA certificate(s) the server's certificate must chain to

    @property
    def effective_port(self) -> int:
        return self.port or settings.DEFAULT_SMTP_PORT[self.security]

    @property
    def where(self) -> str:
        return f"{self.host}:{self.effective_port}"

    def tls_context(self) -> ssl.SSLContext:
        """A verifying client context (certificate chain and host name), never a lax one."""
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as error:
            reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
            raise TakedownSendError(f"cannot use the SMTP CA file {self.ca_file}: {reason}") from None


def smtp_settings(config: dict[str, Any]) -> SmtpSettings:
    """``SmtpSettings`` from the resolved ``[smtp]`` table (``Workspace.smtp``); a one-line
    ``TakedownSendError`` when it cannot send: no From address, an unknown security mode, or
    credentials that would cross the network unencrypted."""
    security = config.get("security", settings.DEFAULT_SMTP_SECURITY)
    if security not in settings.SMTP_SECURITY_MODES:
        raise TakedownSendError(f"smtp.security: use starttls, tls or none, not {security!r}")
    sender = config.get("sender")
    if not sender:
        raise TakedownSendError(
            "no From address for notices: give --from or `leaktrack config set smtp.sender ADDRESS`"
        )
    if security == "none" and config.get("user"):
        raise TakedownSendError(
            "smtp.security is none but a user name is set: the password would be sent unencrypted "
            "(use starttls or tls)"
        )
    ca_file = config.get("ca_file")
    return SmtpSettings(
        host=config.get("host", settings.DEFAULT_SMTP_HOST),
        sender=sender,
        port=config.get("port"),
        security=security,
        username=config.get("user"),
        password=config.get("password"),
        ca_file=Path(ca_file) if ca_file else None,
    )


@dataclass
class PreparedNotice:
    match: Match
    contact: Contact
    kind: str
    rendered: RenderedNotice
    message: EmailMessage | None  # None: the contact takes requests by web form only

    def preview(self) -> str:
        head = f"To: {self.contact.address}\n(contact: {self.contact.name}, {self.contact.role}, from {self.contact.source})\n"
        if self.message is None:
            return head + f"(a web form: paste the text below at {self.contact.url})\n\n" + self.rendered.text
        return head + self.message.as_string()


def choose_contact(report: ContactReport, kind: str, last_role: str | None, role: str | None) -> Contact:
    """The contact the next notice goes to: as asked, else the same one (reminder), else the next."""
    if role is not None:
        found = next((contact for contact in report.ladder() if contact.role == role), None)
        if found is None:
            why = report.problems.get(role, "none was found")
            raise TakedownSendError(f"no {role} contact for {report.url}: {why}")
        return found
    if kind == "reminder" and last_role:
        found = next((contact for contact in report.ladder() if contact.role == last_role), None)
    elif kind == "escalation" and last_role:
        found = report.first(after_role=last_role)
    else:
        found = report.first()
    if found is None:
        reasons = "; ".join(f"{r}: {why}" for r, why in report.problems.items()) or "no lookup found one"
        after = f" after {last_role}" if kind == "escalation" and last_role else ""
        raise TakedownSendError(f"no contact{after} for {report.url} ({reasons})")
    return found


def prepare_notice(
    store: MatchStore,
    match_id: str,
    report: ContactReport,
    smtp_sender: str,
    sender: str | None = None,
    wording: NoticeWording | None = None,
    role: str | None = None,
    template_path: Path | None = None,
) -> PreparedNotice:
    match = store.get(match_id)
    if match.status not in ("confirmed", "reappeared", "takedown_sent"):
        raise TakedownSendError(
            f"match {match.id} is {match.status!r}: confirm it before sending a notice (queue confirm)"
        )
    track = store.get_track(match.id)
    kind = next_kind(track) if match.status == "takedown_sent" or track else "notice"
    contact = choose_contact(report, kind, track.role if track else None, role)
    if role is not None and track is not None and kind != "notice":
        kind = "reminder" if role == track.role else "escalation"
    previous = store.list_notices(match.id) if kind != "notice" or match.status == "reappeared" else []
    context = notice_context(
        match,
        sender=sender,
        recipient=contact.name,
        wording=wording,
        previous=previous,
        domain=report.registered_domain,
    )
    rendered = notice_for(match, contact.role, context, template_path)
    message = _message(rendered, contact, smtp_sender) if contact.email else None
    return PreparedNotice(match, contact, kind, rendered, message)


def _message(rendered: RenderedNotice, contact: Contact, smtp_sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp_sender
    message["To"] = contact.email
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=smtp_sender.rsplit("@", 1)[-1].strip("> ") or None)
    message.set_content(rendered.body)
    return message


def _deliver(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Hand ``message`` to the server; every way this fails is one ``TakedownSendError`` line."""
    where = smtp.where
    context = smtp.tls_context() if smtp.security != "none" else None
    try:
        client: smtplib.SMTP
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                _start_tls(client, context, where)
            if smtp.username:
                _log_in(client, smtp, where)
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        (address, (code, text)), *_ = error.recipients.items()
        raise SmtpDeliveryError(f"SMTP server {where} refused {address}: {code} {_text(text)}") from None
    except smtplib.SMTPResponseException as error:
        raise SmtpDeliveryError(
            f"SMTP server {where} refused the notice: {error.smtp_code} {_text(error.smtp_error)}"
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise SmtpDeliveryError(
            f"SMTP server {where}: its certificate is not trusted ({error.verify_message}); "
            "set smtp.ca_file to the CA that signed it if it is your own"
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise SmtpDeliveryError(
            f"cannot send through SMTP server {where}: {type(error).__name__}: {_text(str(error))}"
        ) from None
    if refused:
        raise SmtpDeliveryError(f"SMTP server {where} refused {', '.join(refused)}")


def _start_tls(client: smtplib.SMTP, context: ssl.SSLContext | None, where: str) -> None:
    """STARTTLS, or refuse: a server that does not offer it gets no notice (it would travel,
    with the copy's URL and the credentials, in clear text)."""
    client.ehlo()
    if not client.has_extn("starttls"):
        raise SmtpDeliveryError(
            f"SMTP server {where} does not offer STARTTLS; the notice was not sent unencrypted "
            "(use --smtp-security tls if the server takes TLS on connect)"
        )
    client.starttls(context=context)


def _log_in(client: smtplib.SMTP, smtp: SmtpSettings, where: str) -> None:
    try:
        client.login(smtp.username or "", smtp.password or "")
    except smtplib.SMTPAuthenticationError as error:
        raise SmtpDeliveryError(
            f"SMTP server {where} refused the login of {smtp.username}: "
            f"{error.smtp_code} {_text(error.smtp_error)}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise SmtpDeliveryError(
            f"SMTP server {where} offers no login (AUTH) but a user name is set (smtp.user)"
        ) from None


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]


def send_notice(
    store: MatchStore, prepared: PreparedNotice, smtp: SmtpSettings, by: str, now: datetime
) -> Notice:
    """Send by SMTP, then record: notice, status ``takedown_sent``, schedule track."""
    if prepared.message is None:
        raise TakedownSendError(
            f"{prepared.contact.name} takes requests by web form ({prepared.contact.url}): "
            "`takedown send --dry-run` prints the text; record the submission with `takedown sent`"
        )
    _deliver(prepared.message, smtp)
    return record_notice(store, prepared, by, now, prepared.message["Message-ID"])


def record_notice(
    store: MatchStore, prepared: PreparedNotice, by: str, now: datetime, message_id: str | None
) -> Notice:
    notice = Notice(
        id=uuid.uuid4().hex,
        match_id=prepared.match.id,
        sent_at=now,
        kind=prepared.kind,
        role=prepared.contact.role,
        recipient=prepared.contact.address,
        contact_source=prepared.contact.source,
        template=prepared.rendered.template,
        by=by,
        message_id=message_id,
    )
    store.add_notice(notice)
    match = store.get(prepared.match.id)
    if match.status != "takedown_sent":
        match = store.record_takedown_sent(
            match.id, to=notice.recipient, by=by, ref=message_id, note=f"{notice.kind} to {notice.role}"
        )
    store.save_track(track_after_notice(store.get_track(match.id), match, notice))
    return notice
