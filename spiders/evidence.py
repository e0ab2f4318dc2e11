"""Evidence of each leak a crawl finds: what matched (always) and the capture (when kept).

``EvidencePipeline`` runs between scanning and storing (``ITEM_PIPELINES``). For a document
with a leak verdict it writes, in the evidence folder, owner-only (0600, folder 0700):

- ``<match id>.evidence.json``: per record, which fields matched on which line, with the
  scanner's confidence (``fingerprints/evidence.py``). Without ``LEAKTRACK_KEEP_EVIDENCE`` it
  holds no plaintext (record ids, column names, line numbers); with it, the matched lines and
  the marked spans too, for the review desk to highlight.
- ``<match id>.warc.gz`` (only with ``LEAKTRACK_KEEP_EVIDENCE``): the response as fetched, one
  WARC record per capture appended (warcio), so it can be handed to a host or a court as is.

A document that was not rescanned (unchanged since the last sweep) keeps its earlier evidence.
The report is made by the scan itself (``ScanPipeline`` asks for it when this pipeline runs:
``evidence_wanted``), from the text and matches it has at hand, so a leak is not extracted
and matched a second time here.
"""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from scrapy.exceptions import NotConfigured

from ..fingerprints.evidence import EvidenceReport, evidence_report_json, load_report, save_report_json
from ..index import match_id_for_url
from .items import FetchedDocument

logger = logging.getLogger(__name__)

EVIDENCE_SUFFIX = ".evidence.json"
WARC_SUFFIX = ".warc.gz"


def evidence_path_for(evidence_dir: Path, match_id: str) -> Path:
    return Path(evidence_dir) / f"{match_id}{EVIDENCE_SUFFIX}"


def warc_path_for(evidence_dir: Path, match_id: str) -> Path:
    return Path(evidence_dir) / f"{match_id}{WARC_SUFFIX}"


def load_evidence(evidence_dir: Path, match_id: str) -> EvidenceReport | None:
    """The copy's evidence report, or None when none was written (or it is unreadable)."""
    if not match_id.isalnum():  # match ids are hex: nothing else names a file of ours
        return None
    return load_report(evidence_path_for(evidence_dir, match_id))


def write_warc_capture(path: Path, item: FetchedDocument) -> Path:
    """Append the response as a WARC ``response`` record (a new gzip member), owner-only."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = [("Content-Type", item.content_type or "application/octet-stream")]
    if item.etag:
        headers.append(("ETag", item.etag))
    if item.last_modified:
        headers.append(("Last-Modified", item.last_modified))
    headers.append(("Content-Length", str(len(item.body))))
    status_line = f"{item.http_status} {_reason_phrase(item.http_status)}".strip()
    http_headers = StatusAndHeaders(status_line, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        item.fetched_url or item.url,
        "response",
        payload=io.BytesIO(item.body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    writer.write_record(record)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "ab") as handle:
        handle.write(buffer.getvalue())
    os.chmod(path, 0o600)
    return path


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def save_evidence(
    item: FetchedDocument, fingerprints, directory: Path, keep: bool, report_json: str | None = None
) -> None:
    """Write the document's evidence report in ``directory`` (and its WARC capture when ``keep``):
    ``report_json`` (the scan's, see ``scanning.scan_document``), else one made here from the body.

    Also used for the other cases of an all-cases sweep (spiders/cases.py), each into its own
    evidence folder with its own fingerprints. Raises OSError/ValueError when it cannot write."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    match_id = match_id_for_url(item.url)
    if report_json is None:
        report_json = evidence_report_json(
            EvidencePipeline.document_text(item), fingerprints, keep_lines=keep
        )
    save_report_json(report_json, evidence_path_for(directory, match_id))
    if keep:
        write_warc_capture(warc_path_for(directory, match_id), item)


class EvidencePipeline:
    """Writes each leak's evidence report (and its WARC capture when evidence is kept)."""

    def __init__(self, crawler):
        settings = crawler.settings
        off = no_evidence_reason(settings)
        if off:
            raise NotConfigured(off)
        self.keep = settings.getbool("LEAKTRACK_KEEP_EVIDENCE")
        self.fingerprints_file = settings.get("LEAKTRACK_FINGERPRINTS")
        self.key_file = settings.get("LEAKTRACK_KEY_FILE")
        self.directory = Path(settings.get("LEAKTRACK_EVIDENCE_DIR"))
        self.stats = crawler.stats
        self._fingerprints = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def evidence_dir(self) -> Path:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.directory

    def fingerprints(self):
        if self._fingerprints is None:  # the scanner's (loaded once per process), on the first leak
            from .scanning import load_fingerprints

            self._fingerprints = load_fingerprints(self.fingerprints_file, self.key_file)
        return self._fingerprints

    def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        if item.scan is None or not item.scan.is_leak or item.unchanged:
            return item
        try:
            save_evidence(item, self.fingerprints(), self.evidence_dir(), self.keep, item.evidence_json)
        except (OSError, ValueError) as error:  # evidence is an aid: a full disk must not stop the sweep
            # Said once per crawl: a full disk fails every later document the same way.
            first = not self.stats.get_value("leaktrack/evidence_errors")
            level = logging.WARNING if first else logging.DEBUG
            from ..fingerprints.stored_text import withhold_dataset_values

            message = f"could not write the evidence of {item.url}: {error}"
            logger.log(level, "%s", withhold_dataset_values(message, self.fingerprints()))
            self.stats.inc_value("leaktrack/evidence_errors")
            return item
        self.stats.inc_value("leaktrack/evidence_written")
        return item

    @staticmethod
    def document_text(item: FetchedDocument) -> str:
        from ..fingerprints.documents import extract_texts

        return extract_texts(item.body, name=item.url, content_type=item.content_type).text


def evidence_wanted(settings) -> bool:
    """Whether a crawl with these settings writes evidence reports (``EvidencePipeline`` runs):
    what is scanned for it comes with its report (``ScanPipeline``)."""
    pipelines = settings.getwithbase("ITEM_PIPELINES")
    path = f"{EvidencePipeline.__module__}.{EvidencePipeline.__qualname__}"
    return no_evidence_reason(settings) is None and pipelines.get(path) is not None


def no_evidence_reason(settings) -> str | None:
    """Why ``EvidencePipeline`` switches itself off with these settings (``NotConfigured``), else None."""
    if not settings.getbool("LEAKTRACK_SCAN"):
        return "nothing is scanned, so nothing matched"
    if not settings.get("LEAKTRACK_EVIDENCE_DIR"):  # every leaktrack run sets it (Workspace.evidence_dir)
        return "LEAKTRACK_EVIDENCE_DIR is not set: no evidence folder"
    return None
