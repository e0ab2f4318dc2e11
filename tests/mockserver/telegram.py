"""A stand-in for Telegram's public channel previews on 127.0.0.1 (``t.me/s/<channel>``).

Pages are shaped as t.me serves them: ``/s/<channel>`` lists the latest ``per_page`` messages
oldest first, each a ``div.tgme_widget_message`` with ``data-post="<channel>/<id>"``, its
text in ``div.tgme_widget_message_text`` (lines joined with ``<br/>``, links as ``<a>``),
attached documents as ``tgme_widget_message_document`` title and size, and the date in the
footer's ``a.tgme_widget_message_date > time[datetime]``, preceded by ``edited`` in the footer's
``span.tgme_widget_message_meta`` once the message was edited; an ``a.tme_messages_more`` with
``data-before`` links to ``?before=<oldest id>`` while older messages remain. A message's embed
page (``/<channel>/<id>?embed=1``) shows that message alone, or "Post not found". A channel
without a public preview redirects ``/s/<channel>`` to its card, ``/<channel>``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from .scripted import Reply, ScriptedServer, SeenRequest


@dataclass
class PostedMessage:
    id: int
    date: str  # ISO 8601 with offset, as in time[datetime]
    text: str = ""
    links: list[str] = field(default_factory=list)
    document: tuple[str, str] | None = None  # (file name, size text)
    edited: bool = False

    def edit(self, text: str) -> None:
        """The channel's author edits the message: new text, and the footer says "edited"."""
        self.text = text
        self.edited = True


@dataclass
class Channel:
    name: str
    messages: list[PostedMessage] = field(default_factory=list)
    public_preview: bool = True

    def post(self, message_id: int, date: str, text: str = "", **options) -> PostedMessage:
        message = PostedMessage(message_id, date, text, **options)
        self.messages.append(message)
        return message


@dataclass
class Telegram:
    channels: dict[str, Channel] = field(default_factory=dict)
    per_page: int = 20

    def channel(self, name: str, **options) -> Channel:
        self.channels[name] = Channel(name, **options)
        return self.channels[name]

    def route(self, request: SeenRequest) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "s":
            return self.preview(parts[1], request.param("before"))
        if len(parts) == 2 and parts[1].isdigit() and request.param("embed") == "1":
            return self.embed(parts[0], int(parts[1]))
        if len(parts) == 1 and parts[0]:
            return page(
                f'<div class="tgme_page"><div class="tgme_page_title">{html.escape(parts[0])}</div></div>'
            )
        return Reply.text("Not found", 404)

    def preview(self, name: str, before: str | None) -> Reply:
        channel = self.channels.get(name)
        if channel is None or not channel.public_preview:
            return Reply(302, b"", {"Location": f"/{name}"})
        older = sorted(
            (message for message in channel.messages if not before or message.id < int(before)),
            key=lambda m: m.id,
        )
        shown = older[-self.per_page :]
        more = ""
        if shown and len(older) > len(shown):
            more = (
                f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{name}?before={shown[0].id}"'
                f' class="tme_messages_more js-messages_more" data-before="{shown[0].id}"></a></div>'
            )
        body = "".join(message_html(name, message) for message in shown)
        return page(f'<section class="tgme_channel_history js-message_history">{more}{body}</section>')

    def embed(self, name: str, message_id: int) -> Reply:
        channel = self.channels.get(name)
        message = next((m for m in channel.messages if m.id == message_id), None) if channel else None
        if message is None:
            return page('<div class="tgme_widget_message_error">Post not found</div>')
        return page(message_html(name, message))


def message_html(channel: str, message: PostedMessage) -> str:
    lines = "<br/>".join(html.escape(line) for line in message.text.splitlines())
    links = "".join(
        f'<br/><a href="{html.escape(link)}" target="_blank" rel="noopener">{html.escape(link)}</a>'
        for link in message.links
    )
    document = ""
    if message.document:
        title, size = message.document
        document = (
            f'<a class="tgme_widget_message_document_wrap" href="https://t.me/{channel}/{message.id}">'
            '<div class="tgme_widget_message_document_icon accent_bg"></div>'
            f'<div class="tgme_widget_message_document"><div class="tgme_widget_message_document_title accent_color"'
            f' dir="auto">{html.escape(title)}</div><div class="tgme_widget_message_document_extra" dir="auto">'
            f"{html.escape(size)}</div></div></a>"
        )
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel}/{message.id}">'
        f'<div class="tgme_widget_message_user"><a href="https://t.me/{channel}"></a></div>'
        '<div class="tgme_widget_message_bubble">'
        f'<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name"'
        f' href="https://t.me/{channel}"><span dir="auto">{channel}</span></a></div>'
        f'{document}<div class="tgme_widget_message_text js-message_text" dir="auto">{lines}{links}'
        f'<a href="?q=%23leak">#leak</a></div>'
        '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short">'
        '<span class="tgme_widget_message_views">1.2K</span><span class="tgme_widget_message_meta">'
        f"{'edited ' if message.edited else ''}"
        f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{message.id}">'
        f'<time datetime="{message.date}" class="time">00:00</time></a></span></div></div>'
        "</div></div></div>"
    )


def page(content: str) -> Reply:
    return Reply.text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram</title></head>'
        f'<body class="widget_frame_base tgme_webpage"><main class="tgme_main">{content}</main></body></html>',
        content_type="text/html; charset=utf-8",
    )


def telegram_server(telegram: Telegram) -> ScriptedServer:
    return ScriptedServer(telegram.route)
