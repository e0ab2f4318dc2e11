"""The telegram source kind: public channel previews (t.me/s/<channel>) served on 127.0.0.1 by a
stand-in shaped as Telegram's pages, swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_store, home_workspace, sweep_with, text_of
from mockserver.scripted import too_many_requests, unavailable
from mockserver.telegram import Telegram, telegram_server

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources
from leaktrack.spiders.state import CrawlState

CONTACT = "mailto:response@agency.example"


def telegram_config(server, channels=("leakdrops",), **options):
    source = {"name": "tg", "kind": "telegram", "channels": list(channels), "api_url": server.url, **options}
    return parse_sources({"allow_private_networks": True, "contact": CONTACT, "sources": [source]})


def stored_matches() -> dict[str, set[str]]:
    with home_store() as store:
        return {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}


@pytest.fixture
def telegram():
    return Telegram()


@pytest.fixture
def tme(telegram):
    with telegram_server(telegram) as server:
        yield server


def test_a_message_with_leaked_rows_and_a_linked_leak_file_are_matched_and_chatter_is_not(
    telegram, tme, local_site, crawl_settings, leak_fingerprints
):
    rows, file = leak_fingerprints.copies["excerpt_10_rows"], leak_fingerprints.copies["uppercase"]
    local_site.put("/dl/cases.csv", file.data)
    channel = telegram.channel("leakdrops")
    channel.post(10, "2026-11-20T08:00:00+00:00", "good morning, new files later today")
    channel.post(11, "2026-11-20T09:00:00+00:00", text_of(rows), document=("cases_part1.csv", "2.1 KB"))
    channel.post(12, "2026-11-20T10:00:00+00:00", "the full list:", links=[local_site.url("/dl/cases.csv")])

    summary = sweep_with(telegram_config(tme), leak_fingerprints, crawl_settings)

    assert stored_matches() == {
        f"{tme.url}/leakdrops/11": rows.expected_records,
        local_site.url("/dl/cases.csv"): file.expected_records,
    }
    counts = summary.per_source["tg"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (4, 2, 0)
    # The hashtag link (a search on Telegram's own host) is not followed.
    assert [request.path for request in tme.requests if request.path != "/robots.txt"] == ["/s/leakdrops"]
    assert CONTACT in tme.requests[0].headers["User-Agent"]


def test_the_spider_pages_back_with_before_until_the_since_date(
    telegram, tme, crawl_settings, leak_fingerprints
):
    telegram.per_page = 3
    channel = telegram.channel("leakdrops")
    for day in range(1, 11):  # messages 1..10, one a day from 2026-11-01
        channel.post(day, f"2026-11-{day:02d}T12:00:00+00:00", f"note of day {day}")

    summary = sweep_with(telegram_config(tme, since="2026-11-05"), leak_fingerprints, crawl_settings)

    assert [request.param("before") for request in tme.requests_for("/s/")] == [None, "8", "5"]
    counts = summary.per_source["tg"]
    assert (counts["documents"], counts["skipped_seen"]) == (
        6,
        3,
    )  # days 5..10; the last page read has days 2..4


def test_the_next_sweep_takes_only_new_messages_and_stops_paging_at_the_last_one_taken(
    telegram, tme, crawl_settings, leak_fingerprints
):
    telegram.per_page = 3
    channel = telegram.channel("leakdrops")
    for message_id in range(1, 5):
        channel.post(message_id, "2026-11-20T12:00:00+00:00", f"note {message_id}")
    config = telegram_config(tme)
    sweep_with(config, leak_fingerprints, crawl_settings)
    state = CrawlState(home_workspace().crawl_state)
    try:
        assert state.cursor("telegram:tg:leakdrops") == "4"
    finally:
        state.close()

    for message_id in range(5, 10):
        channel.post(message_id, "2026-11-21T12:00:00+00:00", f"note {message_id}")
    tme.requests.clear()
    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert [request.param("before") for request in tme.requests_for("/s/")] == [None, "7"]
    counts = summary.per_source["tg"]
    assert (counts["documents"], counts["skipped_seen"]) == (5, 1)


def test_a_link_to_a_removed_file_is_an_error_but_does_not_hold_the_cursor_back(
    telegram, tme, local_site, crawl_settings, leak_fingerprints
):
    channel = telegram.channel("leakdrops")
    channel.post(1, "2026-11-20T12:00:00+00:00", "mirror:", links=[local_site.url("/dl/removed.csv")])

    summary = sweep_with(telegram_config(tme), leak_fingerprints, crawl_settings)

    assert summary.per_source["tg"]["errors_http_404"] == 1
    state = CrawlState(home_workspace().crawl_state)
    try:
        assert state.cursor("telegram:tg:leakdrops") == "1"
    finally:
        state.close()


def test_a_channel_without_a_public_preview_is_a_dark_source(
    telegram, tme, crawl_settings, leak_fingerprints
):
    telegram.channel("closedgroup", public_preview=False)

    summary = sweep_with(telegram_config(tme, channels=["closedgroup"]), leak_fingerprints, crawl_settings)

    assert summary.per_source["tg"]["errors"] == 0
    assert summary.dark_sources[0].reasons == ["1 listing page(s) with no item links"]


def test_a_rate_limited_preview_is_retried_after_the_wait_asked(
    telegram, tme, crawl_settings, leak_fingerprints
):
    telegram.channel("leakdrops").post(1, "2026-11-20T12:00:00+00:00", "hello")
    tme.fail_next("/s/", too_many_requests(retry_after=1))

    summary = sweep_with(telegram_config(tme), leak_fingerprints, crawl_settings)

    assert len(tme.requests_for("/s/")) == 2
    assert (summary.per_source["tg"]["documents"], summary.per_source["tg"]["errors"]) == (1, 0)


def test_an_outage_is_retried_and_a_message_without_a_post_id_is_counted_and_skipped(
    telegram, tme, crawl_settings, leak_fingerprints
):
    channel = telegram.channel("leakdrops")
    channel.post(1, "2026-11-20T12:00:00+00:00", "hello")
    channel.post(2, "2026-11-20T13:00:00+00:00", "world")
    original_route = telegram.route

    def route_with_a_broken_post(request):
        reply = original_route(request)
        reply.body = reply.body.replace(b'data-post="leakdrops/2"', b'data-post="leakdrops/"')
        return reply

    tme.route = route_with_a_broken_post
    tme.fail_next("/s/", unavailable())

    summary = sweep_with(telegram_config(tme), leak_fingerprints, crawl_settings)

    counts = summary.per_source["tg"]
    assert len(tme.requests_for("/s/")) == 2
    assert (counts["documents"], counts["errors"], counts["errors_malformed"]) == (1, 1, 1)


def test_recheck_reads_the_message_again_and_says_gone_once_it_is_deleted(
    telegram, tme, crawl_settings, leak_fingerprints
):
    from leaktrack.spiders.recheck import recheck

    rows = text_of(leak_fingerprints.copies["excerpt_10_rows"])
    channel = telegram.channel("leakdrops")
    channel.post(11, "2026-11-20T09:00:00+00:00", rows)
    channel.post(12, "2026-11-20T10:00:00+00:00", rows + "\nreposted")
    sweep_with(telegram_config(tme), leak_fingerprints, crawl_settings)
    with home_store() as store:
        for match in store.list_matches(limit=None):
            store.change_status(match.id, "confirmed", by="test")
            store.record_takedown_sent(match.id, to="abuse@telegram.example", ref="T-1", by="test")
    channel.messages = [message for message in channel.messages if message.id == 11]

    results = recheck(
        home_workspace().with_files(fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file),
        allow_private_networks=True,
        settings=crawl_settings,
    )

    assert {result.url: result.verdict for result in results} == {
        f"{tme.url}/leakdrops/11": "still up",
        f"{tme.url}/leakdrops/12": "gone",
    }


def test_a_telegram_source_needs_channels_named_as_telegram_names_them():
    with pytest.raises(SourcesError, match="a telegram source needs channels"):
        parse_sources({"sources": [{"name": "t", "kind": "telegram"}]})
    with pytest.raises(SourcesError, match="channels has 't.me/leaks', not a public channel username"):
        parse_sources({"sources": [{"name": "t", "kind": "telegram", "channels": ["t.me/leaks"]}]})


def test_a_message_edited_between_sweeps_is_read_and_scanned_again(
    telegram, tme, crawl_settings, leak_fingerprints
):
    rows = leak_fingerprints.copies["excerpt_10_rows"]
    channel = telegram.channel("leakdrops")
    channel.post(1, "2026-11-20T08:00:00+00:00", "files coming")
    placeholder = channel.post(2, "2026-11-20T09:00:00+00:00", "list: (will add soon)")
    channel.post(3, "2026-11-20T10:00:00+00:00", "stay tuned")
    config = telegram_config(tme)
    first = sweep_with(config, leak_fingerprints, crawl_settings)
    assert (first.per_source["tg"]["documents"], stored_matches()) == (3, {})

    placeholder.edit("list:\n" + text_of(rows))
    second = sweep_with(config, leak_fingerprints, crawl_settings)

    assert stored_matches() == {f"{tme.url}/leakdrops/2": rows.expected_records}
    counts = second.per_source["tg"]
    assert (counts["documents"], counts["matches"], counts["skipped_seen"]) == (1, 1, 2)


def test_an_unedited_channel_is_not_scanned_again_and_an_edit_is_read_once(
    telegram, tme, crawl_settings, leak_fingerprints
):
    channel = telegram.channel("leakdrops")
    channel.post(1, "2026-11-20T08:00:00+00:00", "hello")
    second_message = channel.post(2, "2026-11-20T09:00:00+00:00", "typo hree")
    config = telegram_config(tme)
    sweep_with(config, leak_fingerprints, crawl_settings)

    quiet = sweep_with(config, leak_fingerprints, crawl_settings)
    second_message.edit("typo here")
    edited = sweep_with(config, leak_fingerprints, crawl_settings)
    after = sweep_with(config, leak_fingerprints, crawl_settings)

    documents = [summary.per_source["tg"]["documents"] for summary in (quiet, edited, after)]
    assert documents == [0, 1, 0]


def test_a_sweep_that_failed_reads_the_edit_again_next_time(
    telegram, tme, local_site, crawl_settings, leak_fingerprints
):
    """Edit states are written with the cursor: only when every request of the channel succeeded."""
    rows = leak_fingerprints.copies["excerpt_10_rows"]
    channel = telegram.channel("leakdrops")
    message = channel.post(1, "2026-11-20T08:00:00+00:00", "soon")
    config = telegram_config(tme)
    sweep_with(config, leak_fingerprints, crawl_settings)
    local_site.put("/dl/part2.csv", "Internal error", status=500)
    message.edit(text_of(rows) + "\n" + local_site.url("/dl/part2.csv"))
    message.links = [local_site.url("/dl/part2.csv")]

    failed = sweep_with(config, leak_fingerprints, crawl_settings)
    local_site.put("/dl/part2.csv", "nothing here")
    again = sweep_with(config, leak_fingerprints, crawl_settings)

    assert failed.per_source["tg"]["errors"] == 1
    assert again.per_source["tg"]["errors"] == 0
    assert (
        again.per_source["tg"]["documents"] + again.per_source["tg"]["unchanged"] == 2
    )  # the message, the file


def test_the_edit_mark_is_read_from_the_footer_in_both_of_telegrams_forms():
    from scrapy.http import HtmlResponse

    from leaktrack.spiders.telegram import channel_messages

    def footer(meta: str, post: int) -> str:
        return (
            f'<div class="tgme_widget_message" data-post="leakdrops/{post}"><div class="tgme_widget_message_text">hi</div>'
            f'<span class="tgme_widget_message_meta">{meta}<a class="tgme_widget_message_date" href="#">'
            '<time datetime="2026-11-20T08:00:00+00:00">08:00</time></a></span></div>'
        )

    page = (
        footer("", 1)
        + footer("edited ", 2)
        + footer('<span class="tgme_widget_message_edited">edited</span>', 3)
    )
    response = HtmlResponse("https://t.me/s/leakdrops", body=page.encode(), encoding="utf-8")

    assert [(message.id, message.edited) for message in channel_messages(response)] == [
        (1, False),
        (2, True),
        (3, True),
    ]
