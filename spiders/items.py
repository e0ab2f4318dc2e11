"""What a spider hands to the pipelines: one downloaded document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..fingerprints.results import ScanResult

if TYPE_CHECKING:
    from ..errors import DocumentError
    from .scanning import CaseScan, ScannedDocument

# How a spider took a document's text from an answer: the whole body as it came ("document"),
# a paste page's text area ("paste_page", see paste.paste_page_document), or the payload of a
# WARC record fetched by a Range request ("warc_record", see commoncrawl.warc_record_document),
# or one message of a Telegram page ("telegram_message", see telegram.telegram_message_document).
EXTRACTIONS = ("document", "paste_page", "warc_record", "telegram_message")


@dataclass
class FetchedDocument:
    """A downloaded document, before and after scanning.

    ``url`` is the address a responder would report (a paste's page, even when its text came
    from the raw endpoint at ``fetched_url``). ``content_url`` is the URL the spider asked for
    the content (before any redirect) and ``extraction`` how the text was taken from the answer
    (``EXTRACTIONS``): a recheck fetches and reads exactly that again.
    """

    source: str
    url: str
    body: bytes = field(repr=False)  # never in logs: it may hold the leaked records
    fetched_url: str = ""
    content_url: str = ""
    extraction: str = "document"
    http_status: int = 200
    content_type: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304 answer to our conditional request
    # Fetched without robots.txt: an API named the URL (api_base.content_request), or the source
    # does not obey robots.txt. A recheck fetches it the same way (recheck.py).
    robots_exempt: bool = False
    # Filled in by the pipelines:
    content_sha256: str | None = None
    unchanged: bool = False  # same content as the last sweep saw: not rescanned
    scan: ScanResult | None = field(default=None, repr=False)
    # A leak's evidence report as JSON, made by the scan (spiders/evidence.py writes it)
    evidence_json: str | None = field(default=None, repr=False)
    # An all-cases sweep's scans for the other cases, by their CaseScan, made with the sweep's
    # own from one extraction (spiders/cases.py); a DocumentError where the document was refused
    case_scans: dict[CaseScan, ScannedDocument | DocumentError] = field(default_factory=dict, repr=False)
