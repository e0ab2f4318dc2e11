"""A stand-in for dpaste.com's HTTP API (version 2) on 127.0.0.1, shaped as https://dpaste.com/api/v2/
documents it:

- ``GET /api/user_items_detail/<USER_ID>/``: ``{"User <USER_ID> public items": [{"id", "title",
  "syntax", "expiry", "size"}]}``, another user's public items only (an authenticated request for
  one's own items adds the private ones: ``Authorization: Bearer <16-character token>``);
- an item's page ``/<ID>`` (HTML) and its raw text ``/<ID>.txt``; an expired or deleted item
  answers 404;
- the terms ask for a User-Agent and at most one request a second (``requests`` keeps the
  User-Agent each request came with).

An unknown user answers 404 (the site's "Not Found" page), as a Django view with no such user does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from .github import header
from .scripted import Reply, ScriptedServer, SeenRequest

TOKEN = "a1b2c3d4e5f6g7h8"


@dataclass
class Item:
    id: str
    user: str
    text: str
    title: str = ""
    syntax: str = "text"
    private: bool = False


class DpasteApi(ScriptedServer):
    def __init__(self, token: str = TOKEN, own_user: str = "1"):
        super().__init__(self.route_request)
        self.token = token
        self.own_user = own_user  # the account the token belongs to
        self.items: list[Item] = []
        self.users: set[str] = {own_user}

    def add_item(self, user: str, item_id: str, text: str, **options) -> Item:
        item = Item(item_id, user, text, **options)
        self.items.append(item)
        self.users.add(user)
        return item

    def route_request(self, request: SeenRequest) -> Reply:
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["api", "user_items_detail"]:
            return self.user_items(parts[2], request)
        if len(parts) == 1 and parts[0].endswith(".txt"):
            item = self.item(parts[0].removesuffix(".txt"))
            return Reply.text(item.text) if item else not_found()
        if len(parts) == 1 and parts[0]:
            item = self.item(parts[0])
            return (
                Reply.text(
                    f"<html><body><pre>{html.escape(item.text)}</pre></body></html>", content_type="text/html"
                )
                if item
                else not_found()
            )
        return not_found()

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)

    def user_items(self, user: str, request: SeenRequest) -> Reply:
        if user not in self.users:
            return not_found()
        own = header(request, "Authorization") == f"Bearer {self.token}" and user == self.own_user
        shown = [item for item in self.items if item.user == user and (own or not item.private)]
        label = f"User {user} {'public and private' if own else 'public'} items"
        return Reply.json(
            {
                label: [
                    {
                        "id": item.id,
                        "title": item.title,
                        "syntax": item.syntax,
                        "expiry": "2026-12-30T12:00:00.000",
                        "size": len(item.text),
                    }
                    for item in shown
                ]
            }
        )


def not_found() -> Reply:
    return Reply.text("<html><body><h1>Not Found</h1></body></html>", 404, "text/html")
