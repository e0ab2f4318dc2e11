"""Telegram: public channels' web previews (``t.me/s/<channel>``), message by message.

The preview lists a channel's latest messages, oldest first, each a ``tgme_widget_message``
with ``data-post="<channel>/<id>"``, its text (``tgme_widget_message_text``), attached
documents (``tgme_widget_message_document``: file name and size; the web preview offers no
download) and its date (``tgme_widget_message_date`` > ``time[datetime]``); a
``tme_messages_more`` link with ``data-before`` pages to older messages (``?before=<id>``).

Each message is one document: its text (line breaks kept, so pasted rows stay rows) and its
attachments' names, scanned and reported under the message's permalink ``<api_url>/<channel>/<id>``
(``t.me/<channel>/<id>``). Links in the message (a file host's URL of the leak) are fetched and
scanned as documents under their own URLs, once. The spider pages back until the last message
an earlier sweep took (cursor per channel: the highest message id taken), or the source's
``since`` date, or ``LEAKTRACK_TELEGRAM_MAX_PAGES``. A channel without a public preview (t.me
redirects to the channel's card) or a page without messages is an empty listing: a dark source.
``recheck`` reads the message's embed page again (extraction ``telegram_message``); a deleted
message is an emptied answer, so the copy is gone.

Edited messages: the preview marks a message edited in its footer's metadata (``edited``
before the date, in ``tgme_widget_message_meta``). The crawl state keeps, per channel, each
recent message's *edit state* (a hash of its edit mark and text; no text), beside the cursor.
A message already taken whose edit state changed (edited since, or its text changed) is read
and scanned again, with its new links; one taken before edit states were kept is read again
once when it is marked edited. Edits are seen on the pages a sweep reads: the newest page
always, and older pages back to the cursor. The states are written with the cursor (only when
the channel's requests all succeeded), for the newest ``EDIT_STATES_KEPT`` messages.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlparse

import parsel
import scrapy
from scrapy.http import Response

from .base import SourceSpider
from .cursors import META_QUERY, CursorSpider
from .items import FetchedDocument
from .meta import META_DOCUMENT_URL
from .urls import GONE_STATUSES

DEFAULT_API_URL = "https://t.me"
POST_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]{3,31})/(\d+)$")
# Edit states kept per channel: the newest messages' (a few preview pages of 20).
EDIT_STATES_KEPT = 500


@dataclass
class ChannelMessage:
    channel: str
    id: int
    published: datetime | None
    text: str  # the message's text and its attachments' names, one per line
    links: list[str] = field(default_factory=list)  # http(s) links in the message, absolute
    edited: bool = False  # marked "edited" in its footer

    @property
    def edit_state(self) -> str:
        """What an edit changes (the mark and the text), hashed: kept in the crawl state."""
        marked = b"edited\n" if self.edited else b"\n"
        return hashlib.sha256(marked + self.text.encode("utf-8")).hexdigest()[:16]


class TelegramSpider(CursorSpider):
    name = "telegram"
    kind = "telegram"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api_url = self.source.api_url or DEFAULT_API_URL
        # Links back into Telegram (other posts, channels, hashtag searches) are not copies to fetch.
        self.own_hosts = TELEGRAM_HOSTS | {urlparse(self.api_url).netloc}
        self.since = (
            datetime.combine(date.fromisoformat(self.source.since), datetime.min.time(), UTC)
            if self.source.since
            else None
        )

    async def start(self):
        for channel in self.source.channels:
            yield self.page_request(channel, before=None, pages_read=0)

    def page_request(self, channel: str, before: int | None, pages_read: int) -> scrapy.Request:
        url = f"{self.api_url}/s/{channel}" + (f"?before={before}" if before else "")
        return self.query_request(
            url, self.parse_page, self.cursor_name(channel), channel=channel, pages_read=pages_read + 1
        )

    def cursor_name(self, channel: str) -> str:
        return f"{self.kind}:{self.source.name}:{channel.lower()}"

    def parse_page(self, response: Response) -> Iterator[scrapy.Request | FetchedDocument]:
        channel, name = response.meta["channel"], response.meta[META_QUERY]
        on_preview = "/s/" in urlparse(response.url).path
        messages = channel_messages(response, self.own_hosts) if on_preview else []
        unreadable = (
            len(response.css("div.tgme_widget_message[data-post]")) - len(messages) if on_preview else 0
        )
        if unreadable:
            self.malformed(f"{unreadable} message(s) without a readable post id on {response.url}")
        if not messages:  # no public preview (redirected to the channel's card), or markup changed
            self.crawler.stats.inc_value("leaktrack/empty_listings")
            return
        taken = int(self.cursor(name) or 0)
        states = self.edit_states(name)
        for message in messages:
            if self.since and message.published and message.published < self.since:
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            if message.id <= taken and not self.edited_since_taken(message, states):
                states[str(message.id)] = message.edit_state
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            if message.id <= taken:
                self.crawler.stats.inc_value("leaktrack/telegram_edits_read")
            newest = max(message.id, int(self.noted(name, name) or 0))
            self.note_cursor(name, name, str(newest))
            states[str(message.id)] = message.edit_state
            yield self.message_document(response, message)
            for link in message.links:
                yield self.query_request(
                    link, self.parse_linked_file, name, incremental="skip_seen", document_url=link
                )
        self.note_cursor(name, edits_cursor_name(name), json.dumps(newest_states(states)))
        yield from self.older_page(response, messages, taken, channel)

    def edit_states(self, name: str) -> dict[str, str]:
        """Message id -> edit state of the channel's recent messages: as this crawl noted them
        so far, else as the last complete sweep left them."""
        noted = self.noted(name, edits_cursor_name(name)) or self.cursor(edits_cursor_name(name))
        try:
            states = json.loads(noted) if noted else {}
        except ValueError:  # a crawl state from elsewhere: read the marked messages again
            states = {}
        return states if isinstance(states, dict) else {}

    @staticmethod
    def edited_since_taken(message: ChannelMessage, states: dict[str, str]) -> bool:
        known = states.get(str(message.id))
        if known is None:  # taken before edit states were kept: an edit mark may be newer
            return message.edited
        return known != message.edit_state

    def older_page(self, response: Response, messages: list[ChannelMessage], taken: int, channel: str):
        oldest = messages[0]
        reached_taken = oldest.id <= taken + 1
        reached_since = self.since and oldest.published and oldest.published < self.since
        before = response.css("a.tme_messages_more[data-before]::attr(data-before)").get()
        if reached_taken or reached_since or not before or not before.isdigit():
            return
        pages_read = response.meta["pages_read"]
        if pages_read >= self.settings.getint("LEAKTRACK_TELEGRAM_MAX_PAGES"):
            if taken:  # messages between the last sweep's and these were not read: say so, keep the cursor
                self.report_error(
                    f"{channel}: stopped after {pages_read} pages before reaching message {taken},"
                    " taken by an earlier sweep (raise LEAKTRACK_TELEGRAM_MAX_PAGES)",
                    kind="page_limit",
                    query=response.meta[META_QUERY],
                )
            return
        yield self.page_request(channel, int(before), pages_read)

    def message_document(self, response: Response, message: ChannelMessage) -> FetchedDocument:
        document = self.document(
            response,
            body=message.text.encode("utf-8"),
            content_type="text/plain; charset=utf-8",
            title=f"Telegram {message.channel} message {message.id}",
            extraction="telegram_message",
        )
        document.url = f"{self.api_url}/{message.channel}/{message.id}"
        document.content_url = embed_url(self.api_url, message.channel, message.id)
        document.etag = document.last_modified = None  # the listing page's, not the message's
        return document

    def parse_linked_file(self, response: Response):
        yield self.document(response)


def edits_cursor_name(name: str) -> str:
    """The crawl-state cursor holding a channel's edit states, beside its cursor ``name``."""
    return f"{name}:edits"


def newest_states(states: dict[str, str]) -> dict[str, str]:
    newest = sorted(states, key=int, reverse=True)[:EDIT_STATES_KEPT]
    return {message_id: states[message_id] for message_id in sorted(newest, key=int)}


def embed_url(api_url: str, channel: str, message_id: int) -> str:
    """The one-message widget page of a message (what ``recheck`` reads again)."""
    return f"{api_url}/{channel}/{message_id}?embed=1&mode=tme"


def channel_messages(response: Response, own_hosts: Set[str] = frozenset()) -> list[ChannelMessage]:
    """The messages on a channel preview (or embed) page, oldest first; links to ``own_hosts``
    (Telegram's host names, and the preview's own host:port) left out of each message's links."""
    messages = [
        message_of(node, response, own_hosts) for node in response.css("div.tgme_widget_message[data-post]")
    ]
    return sorted((message for message in messages if message is not None), key=lambda message: message.id)


def message_of(node: parsel.Selector, response: Response, own_hosts: Set[str]) -> ChannelMessage | None:
    found = POST_RE.match(node.attrib.get("data-post", ""))
    if not found:
        return None
    lines = text_lines(node.css(".tgme_widget_message_text").get() or "")
    for document in node.css(".tgme_widget_message_document"):
        title = " ".join(document.css(".tgme_widget_message_document_title ::text").getall()).strip()
        size = " ".join(document.css(".tgme_widget_message_document_extra ::text").getall()).strip()
        if title:
            lines.append(f"{title} ({size})" if size else title)
    return ChannelMessage(
        channel=found[1],
        id=int(found[2]),
        published=message_date(node.css(".tgme_widget_message_date time::attr(datetime)").get()),
        text="\n".join(lines),
        links=message_links(node, response, own_hosts),
        edited=is_marked_edited(node),
    )


def is_marked_edited(node: parsel.Selector) -> bool:
    """Telegram writes "edited" in the footer's metadata, before the date link (some page
    versions wrap it in ``tgme_widget_message_edited``)."""
    if node.css(".tgme_widget_message_edited"):
        return True
    meta = node.css(".tgme_widget_message_meta")
    words = " ".join(
        meta.xpath("./text() | ./*[not(contains(@class, 'tgme_widget_message_date'))]//text()").getall()
    )
    return "edited" in words.lower()


def text_lines(fragment: str) -> list[str]:
    """A message text's HTML as lines: ``<br>`` breaks lines, other tags are dropped."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", fragment)
    text = html.unescape(re.sub(r"(?s)<[^>]*>", "", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def message_links(node: parsel.Selector, response: Response, own_hosts: Set[str]) -> list[str]:
    """http(s) links of the message's text and link preview, except links back into Telegram."""
    hrefs = node.css(
        ".tgme_widget_message_text a::attr(href), a.tgme_widget_message_link_preview::attr(href)"
    )
    links = []
    for href in hrefs.getall():
        url = response.urljoin(href.strip())
        parsed = urlparse(url)
        into_telegram = parsed.hostname in own_hosts or parsed.netloc in own_hosts
        if parsed.scheme in ("http", "https") and not into_telegram and url not in links:
            links.append(url)
    return links


TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.org", "telegram.dog"}


def message_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def telegram_message_document(spider: SourceSpider, response: Response) -> FetchedDocument:
    """A recheck's reading of a message's embed page: the message's text as a sweep took it, or
    an empty document when the message is gone (Telegram answers its embed with 'Post not found')."""
    wanted = urlparse(response.meta.get(META_DOCUMENT_URL, response.url)).path.strip("/")
    messages = [] if response.status in GONE_STATUSES else channel_messages(response)
    text = next((message.text for message in messages if f"{message.channel}/{message.id}" == wanted), "")
    return spider.document(
        response,
        body=text.encode("utf-8"),
        content_type="text/plain; charset=utf-8",
        extraction="telegram_message",
    )
