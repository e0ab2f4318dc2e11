"""'Send notice' on a copy's page: preview the notice and its recipient, confirm, send.

The same library functions as ``leaktrack takedown send`` (``takedown/sending.py``): the
contact finder picks the recipient (platform table, security.txt, RDAP), ``prepare_notice``
renders the notice for that recipient's role and ``send_notice`` sends it by SMTP and records
the Message-ID, recipient and where the contact came from. The preview says what will be sent
to whom; the confirmation carries what the reviewer saw (recipient, number of notices so far),
and the notice is sent only if that still holds, so a contact that changed or a notice someone
else sent meanwhile is a message on the page, not a surprise in someone's inbox.

Lookups and SMTP talk to the network, so they run in a worker thread with a store of their own
(an SQLite connection belongs to the thread that opened it). Imports the store only through its
interface; nothing here reads the environment (the SMTP table comes resolved from the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..index import MatchStore
from ..index.takedown_records import Notice
from ..takedown import settings as takedown_settings
from ..takedown.contacts import ContactReport
from ..takedown.finder import ContactFinder
from ..takedown.notices import NoticeWording
from ..takedown.sending import (
    PreparedNotice,
    TakedownSendError,
    prepare_notice,
    send_notice,
    smtp_settings,
)

# The From address a preview is rendered with when none is configured (sending then refuses).
PREVIEW_SENDER = "leaktrack@localhost"


@dataclass(frozen=True)
class NoticeSending:
    """How the desk sends notices: the resolved ``[smtp]`` table (``Workspace.smtp``), the
    case's wording and signature, and how contacts are found (tests use local lookup servers)."""

    smtp: dict[str, Any]
    wording: NoticeWording = field(default_factory=NoticeWording)
    signature: str | None = None
    make_finder: Callable[[MatchStore], ContactFinder] = ContactFinder

    def smtp_problem(self) -> str | None:
        """Why notices cannot be sent with this setup (no From address, ...), or None."""
        try:
            smtp_settings(self.smtp)
        except TakedownSendError as error:
            return str(error)
        return None


@dataclass
class NoticePreview:
    prepared: PreparedNotice
    report: ContactReport
    notices_so_far: int

    @property
    def sendable(self) -> bool:
        """False when the contact takes requests by web form only (nothing to mail)."""
        return self.prepared.message is not None


def check_role(role: str | None) -> str | None:
    if role is not None and role not in takedown_settings.CONTACT_LADDER:
        raise TakedownSendError(
            f"unknown contact role {role!r} (known: {', '.join(takedown_settings.CONTACT_LADDER)})"
        )
    return role


def preview_notice(
    sending: NoticeSending, open_store: Callable[[], MatchStore], match_id: str, role: str | None = None
) -> NoticePreview:
    """The notice that would be sent now for ``match_id`` (to ``role``, else the next in line)."""
    with open_store() as store:
        return _preview(sending, store, match_id, check_role(role))


def _preview(sending: NoticeSending, store: MatchStore, match_id: str, role: str | None) -> NoticePreview:
    match = store.get(match_id)
    report = sending.make_finder(store).find([match.url])[match.url]
    prepared = prepare_notice(
        store,
        match_id,
        report,
        sending.smtp.get("sender") or PREVIEW_SENDER,
        sending.signature,
        sending.wording,
        role,
    )
    return NoticePreview(prepared, report, len(store.list_notices(match_id)))


def send_previewed(
    sending: NoticeSending,
    open_store: Callable[[], MatchStore],
    match_id: str,
    role: str | None,
    previewed_to: str,
    previewed_notices: int,
    by: str,
    now: datetime,
) -> Notice:
    """Send the notice the reviewer previewed, if it is still the one that would be sent."""
    smtp = smtp_settings(sending.smtp)
    with open_store() as store:
        preview = _preview(sending, store, match_id, check_role(role))
        if preview.notices_so_far != previewed_notices:
            raise TakedownSendError(
                "another notice was recorded for this copy since your preview: look at the new preview"
            )
        if preview.prepared.contact.address != previewed_to:
            raise TakedownSendError(
                f"the recipient is now {preview.prepared.contact.address} (was {previewed_to} in your "
                "preview): look at the new preview"
            )
        return send_notice(store, preview.prepared, smtp, by, now)
