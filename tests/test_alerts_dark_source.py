"""A source that goes dark is alerted, once per dark spell, through the same channels and
de-duplication as new copies (alerts/events.py ``DarkSourceEvent``), received for real by the
local webhook receiver."""

from __future__ import annotations

import test_alerts
from fixtures_store import T0
from test_alerts import SECRET, Receiver, settings_for
from test_cli_sweep import invoke, sweep_args, write_sources
from test_source_health import archive_without_item_links

from leaktrack.alerts.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from leaktrack.alerts.notify import alert_since

receiver = test_alerts.receiver  # the webhook receivers' fixture, shared
REFUSED = ["refused by the site: HTTP 403 x2"]


def test_a_dark_source_is_alerted_once_while_it_stays_dark(store, receiver):
    hook = receiver()

    first = alert_since(store, T0, settings_for(hook.url), {"pastes": REFUSED, "mirror": []}, "sweep-1")
    still_dark = alert_since(store, T0, settings_for(hook.url), {"pastes": REFUSED, "mirror": []}, "sweep-2")

    assert (first.sent, still_dark.sent, still_dark.repeats) == (1, 0, 1)
    (message,) = hook.messages()
    (alert,) = message["alerts"]
    assert alert == {
        "event": "source_dark",
        "source": "pastes",
        "sweep": "sweep-1",
        "reasons": REFUSED,
        "at": T0.isoformat(),
        "review_url": None,
    }


def test_a_source_that_comes_back_and_goes_dark_again_is_alerted_again(store, receiver):
    hook = receiver()

    alert_since(store, T0, settings_for(hook.url), {"pastes": REFUSED}, "sweep-1")
    alert_since(store, T0, settings_for(hook.url), {"pastes": []}, "sweep-2")  # alive: the spell ends
    again = alert_since(
        store, T0, settings_for(hook.url), {"pastes": ["1 listing page(s) with no item links"]}, "sweep-3"
    )

    assert again.sent == 1
    assert [message["alerts"][0]["sweep"] for message in hook.messages()] == ["sweep-1", "sweep-3"]


def test_a_dark_source_alert_no_channel_took_is_sent_by_the_next_sweep(store, receiver):
    broken, working = receiver(fail_first=100), receiver()

    failed = alert_since(store, T0, settings_for(broken.url, attempts=1), {"pastes": REFUSED}, "sweep-1")
    retried = alert_since(store, T0, settings_for(working.url), {"pastes": REFUSED}, "sweep-2")

    assert (failed.sent, retried.sent) == (0, 1)
    assert working.messages()[0]["alerts"][0]["sweep"] == "sweep-2"


def test_a_digest_holds_new_copies_and_dark_sources_in_one_message(store, receiver):
    from test_alerts import two_new_copies

    hook = receiver()
    two_new_copies(store)

    report = alert_since(store, T0, settings_for(hook.url, digest=True), {"pastes": REFUSED}, "sweep-1")

    assert report.sent == 3
    (message,) = hook.messages()
    assert sorted(alert["event"] for alert in message["alerts"]) == ["new", "new", "source_dark"]


def test_a_real_sweep_alerts_the_source_that_went_dark_through_a_signed_webhook(
    local_site, leak_fingerprints, tmp_path, monkeypatch
):
    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", SECRET)
    archive_without_item_links(local_site)  # the paste site changed its markup: nothing to follow
    local_site.put("/files/leak.csv", "a note, nothing leaked")
    hook = Receiver()
    try:
        args = sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--alert", hook.url)
        first = invoke(*args)
        second = invoke(*args)  # still dark: not alerted again
    finally:
        hook.close()

    assert first.exit_code == 0, first.output
    assert "source pastes looks dark" in first.output
    assert "alerts: 1 sent" in first.output and "alerts: 0 sent, 1 repeats skipped" in second.output
    (message,) = hook.messages()
    (alert,) = message["alerts"]
    assert alert["event"] == "source_dark" and alert["source"] == "pastes"
    assert alert["reasons"] == ["1 listing page(s) with no item links"]
    ((headers, body),) = hook.requests
    assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
