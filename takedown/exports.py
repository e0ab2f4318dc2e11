"""Exports for the systems responders already use: Lumen-style notice records (JSON), a MISP
event with the copies as ``url``/``paste`` objects, and CSV for ticketing.

Like every export of leaktrack they carry URLs, hosts, dates, hashes, counts and where notices
went; never record ids, page titles (a title can quote the leak) or any plaintext of the leak.

Lumen: one record per notice sent, shaped after the Lumen database's notice JSON (title, type,
date_sent, sender/recipient/principal names, works with infringing_urls); leaktrack does not
submit them. MISP: the event is built locally with the ``pymisp`` library (optional extra
``leaktrack[misp]``) and written as JSON; nothing is sent to a MISP instance.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from ..errors import LeaktrackError
from ..index import Match, MatchStore
from ..index.takedown_records import Notice

EXPORT_KINDS = ("lumen", "misp", "tickets")
# Sources whose copies are pastes (a MISP "paste" object); any other copy is a "url" object.
PASTE_SOURCE_WORDS = ("paste", "gist")
LUMEN_NOTICE_TYPE = "Private Information"
TICKET_FIELDS = (
    "match_id",
    "url",
    "host",
    "source",
    "status",
    "records_exposed",
    "first_seen",
    "last_seen",
    "content_sha256",
    "notices_sent",
    "last_notice_at",
    "last_notice_to",
    "last_notice_role",
    "last_message_id",
    "next_step",
)


def _notices_by_match(store: MatchStore) -> dict[str, list[Notice]]:
    by_match: dict[str, list[Notice]] = {}
    for notice in store.list_notices():
        by_match.setdefault(notice.match_id, []).append(notice)
    return by_match


def lumen_records(store: MatchStore, sender: str) -> list[dict]:
    """One Lumen-style record per notice sent."""
    records = []
    for notice in store.list_notices():
        match = store.get(notice.match_id)
        records.append(
            {
                "title": f"Private information removal request to {notice.recipient}",
                "type": LUMEN_NOTICE_TYPE,
                "date_sent": notice.sent_at.isoformat(),
                "sender_name": sender,
                "principal_name": sender,
                "recipient_name": notice.recipient,
                "language": "en",
                "action_taken": _action_taken(match),
                "works": [
                    {
                        "description": f"Copy of a leaked personal dataset ({match.matched_count} records)",
                        "infringing_urls": [{"url": match.url}],
                        "copyrighted_urls": [],
                    }
                ],
                "leaktrack": {
                    "match_id": match.id,
                    "notice_kind": notice.kind,
                    "contact_role": notice.role,
                    "contact_source": notice.contact_source,
                    "message_id": notice.message_id,
                    "content_sha256": match.content_sha256,
                },
            }
        )
    return records


def _action_taken(match: Match) -> str:
    return {"removed": "Yes", "takedown_sent": "No", "reappeared": "No"}.get(match.status, "Unspecified")


def misp_event(matches: Iterable[Match], info: str) -> dict:
    """A MISP event (as MISP's JSON) with one ``paste`` or ``url`` object per copy."""
    try:
        from pymisp import MISPEvent, MISPObject
    except ImportError as error:
        raise LeaktrackError(
            f"the MISP export needs the pymisp library: pip install 'leaktrack[misp]' ({error})"
        ) from None
    event = MISPEvent()
    event.info = info
    event.distribution = 0  # your organisation only: the URLs lead to personal data
    event.threat_level_id = 2
    event.analysis = 1
    event.add_tag("tlp:amber")
    for match in matches:
        is_paste = any(word in match.source.lower() for word in PASTE_SOURCE_WORDS)
        misp_object = MISPObject("paste" if is_paste else "url", standalone=False)
        misp_object.add_attribute("url", value=match.url)
        if not is_paste:
            misp_object.add_attribute("host", value=match.host)
        misp_object.add_attribute("first-seen", value=match.first_seen)
        misp_object.add_attribute("last-seen", value=match.last_seen)
        misp_object.comment = (
            f"leaktrack {match.id}: {match.matched_count} records exposed, status {match.status}, "
            f"sha256 {match.content_sha256}"
        )
        event.add_object(misp_object)
    return {"Event": json.loads(event.to_json())}  # MISP's import format


def write_tickets(store: MatchStore, stream: TextIO, statuses: tuple[str, ...] | None = None) -> int:
    """One CSV row per copy, with its notices so far, for a ticketing system."""
    notices = _notices_by_match(store)
    writer = csv.writer(stream)
    writer.writerow(TICKET_FIELDS)
    count = 0
    for match in store.iter_matches():
        if statuses and match.status not in statuses:
            continue
        sent = notices.get(match.id, [])
        last = sent[-1] if sent else None
        track = store.get_track(match.id) if sent else None
        writer.writerow(
            [
                match.id,
                match.url,
                match.host,
                match.source,
                match.status,
                match.matched_count,
                match.first_seen.isoformat(),
                match.last_seen.isoformat(),
                match.content_sha256,
                len(sent),
                last.sent_at.isoformat() if last else "",
                last.recipient if last else "",
                last.role if last else "",
                last.message_id or "" if last else "",
                track.step if track else "",
            ]
        )
        count += 1
    return count
