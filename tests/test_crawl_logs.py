"""A crawl's log records: each one a handler takes has the dataset values in its URLs withheld
(``crawl.withhold_dataset_values_in_logs``); one that no handler takes (a DEBUG "Crawled" or
"Scraped from" line of a crawl at LOG_LEVEL=WARNING: Scrapy makes them all) is not searched, as
it is never formatted nor read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fixtures_data import person_of

from leaktrack.fingerprints import stored_text
from leaktrack.fingerprints.stored_text import WITHHELD_PART
from leaktrack.spiders.crawl import any_handler_takes, withhold_dataset_values_in_logs

ROW = 1  # Monika Nowotnik in the small synthetic leak


class KeptRecords(logging.Handler):
    def __init__(self, level: int):
        super().__init__(level)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def handled_only_by(logger: logging.Logger, *handlers: logging.Handler) -> Iterator[None]:
    """``handlers`` alone on ``logger``, which does not propagate, inside the test's body (pytest
    attaches its capture handlers, at NOTSET, to the root and to every logger that does not
    propagate when a test starts: they would take every record)."""
    saved = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = list(handlers), False
    try:
        yield
    finally:
        logger.handlers, logger.propagate = saved


@pytest.fixture
def crawl_logger():
    """A logger of its own at DEBUG, with a WARNING handler (as Scrapy's root handler at
    LOG_LEVEL=WARNING); the process's log record factory is put back afterwards."""
    logger = logging.getLogger("leaktrack.tests.crawl_logs")
    logger.setLevel(logging.DEBUG)
    factory = logging.getLogRecordFactory()
    try:
        yield logger, KeptRecords(logging.WARNING)
    finally:
        logging.setLogRecordFactory(factory)


def test_a_record_below_every_handlers_level_is_taken_by_none(crawl_logger):
    logger, handler = crawl_logger
    debug = logger.makeRecord(logger.name, logging.DEBUG, __file__, 1, "Crawled (200)", None, None)
    warning = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "Ignoring response", None, None)
    with handled_only_by(logger, handler):
        assert not any_handler_takes(debug)
        assert any_handler_takes(warning)


def test_a_record_with_no_handler_on_its_way_counts_as_taken(crawl_logger):
    logger, _ = crawl_logger
    record = logger.makeRecord(logger.name, logging.DEBUG, __file__, 1, "x", None, None)
    with handled_only_by(logger):  # none: logging's last resort may print it
        assert any_handler_takes(record)


def test_only_the_records_a_handler_takes_are_searched_for_dataset_values(
    crawl_logger, leak_fingerprints, small_leak, monkeypatch
):
    logger, handler = crawl_logger
    given, surname, _ = person_of(small_leak, ROW)
    searched: list[str] = []
    withhold = stored_text.withhold_names_in_text

    def counted(text, fingerprints):
        searched.append(text)
        return withhold(text, fingerprints)

    monkeypatch.setattr(stored_text, "withhold_names_in_text", counted)
    withhold_dataset_values_in_logs(str(leak_fingerprints.path), str(leak_fingerprints.key_file))
    url = f"http://127.0.0.1:8080/share/{surname}.{given}.csv"

    with handled_only_by(logger, handler):
        logger.debug("Crawled (200) <GET %s>", url)
        logger.warning("Ignoring response <404 %s>", url)

    assert searched == [f"Ignoring response <404 {url}>"]
    assert handler.messages == [f"Ignoring response <404 http://127.0.0.1:8080/share/{WITHHELD_PART}>"]
