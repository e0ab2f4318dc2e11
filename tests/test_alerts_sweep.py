"""A real sweep sends its alerts: new copies once, never again on the next sweep."""

from __future__ import annotations

from test_alerts import SECRET, Receiver
from test_cli_sweep import invoke, publish, sweep_args, write_sources

from leaktrack.alerts.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


def test_a_sweep_alerts_each_new_copy_once_through_a_signed_webhook(
    local_site, leak_fingerprints, tmp_path, monkeypatch
):
    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", SECRET)
    hook = Receiver()
    try:
        publish(local_site, leak_fingerprints)
        args = sweep_args(write_sources(tmp_path, local_site), leak_fingerprints, "--alert", hook.url)

        first = invoke(*args, "--review-url", "https://desk.example")
        second = invoke(*args)
    finally:
        hook.close()

    assert first.exit_code == 0, first.output
    assert "alerts: 2 sent" in first.output
    assert "alerts: 0 sent" in second.output  # nothing new or back since the second sweep started
    assert len(hook.requests) == 2
    urls = sorted(message["alerts"][0]["url"] for message in hook.messages())
    assert urls == sorted([local_site.url("/p/leak0"), local_site.url("/files/leak.csv")])
    for headers, body in hook.requests:
        assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])


def test_a_sweep_with_an_unreachable_alert_channel_still_stores_its_matches(
    local_site, leak_fingerprints, tmp_path, monkeypatch
):
    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", SECRET)
    publish(local_site, leak_fingerprints)
    args = sweep_args(
        write_sources(tmp_path, local_site), leak_fingerprints, "--alert", "webhook+http://127.0.0.1:9/hook"
    )

    result = invoke(*args)

    assert result.exit_code == 0, result.output
    assert "alert failed" in result.output and "alerts: 0 sent" in result.output
    from fixtures_sites import home_store

    with home_store() as store:
        assert len(store.list_matches()) == 2


def test_watch_alerts_after_each_sweep(local_site, leak_fingerprints, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", SECRET)
    hook = Receiver()
    try:
        publish(local_site, leak_fingerprints)
        args = sweep_args(
            write_sources(tmp_path, local_site), leak_fingerprints, "--alert", hook.url, "--alert-digest"
        )
        args[0] = "watch"
        result = invoke(*args, "--every", "1s", "--max-sweeps", "1")
    finally:
        hook.close()

    assert result.exit_code == 0, result.output
    (message,) = hook.messages()  # digest: one message for the sweep's two copies
    assert len(message["alerts"]) == 2


def test_an_alert_withholds_the_parts_of_a_copys_url_that_name_a_leaked_person(
    local_site, leak_fingerprints, small_leak, tmp_path, monkeypatch
):
    """Issue 8: alerts leave for chat and mail services; a file named after a person (here
    ``Surname.Given.csv``) is named ``[withheld]`` there. The store keeps the URL verbatim."""
    from fixtures_sites import home_store

    monkeypatch.setenv("LEAKTRACK_WEBHOOK_SECRET", SECRET)
    given, surname = small_leak.rows[1][small_leak.columns.index("full_name")].split()
    path = f"/files/{surname}.{given}.csv"
    local_site.put(path, leak_fingerprints.copies["uppercase"].data)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'allow_private_networks = true\n\n[[sources]]\nname = "known"\nkind = "urls"\nurls = ["{local_site.url(path)}"]\n',
        encoding="utf-8",
    )
    hook = Receiver()
    try:
        result = invoke(*sweep_args(sources, leak_fingerprints, "--alert", hook.url))
    finally:
        hook.close()

    assert result.exit_code == 0, result.output
    [message] = hook.messages()
    assert message["alerts"][0]["url"] == local_site.url("/files/[withheld]")
    body = "".join(body.decode() for _, body in hook.requests)
    assert surname not in body and given not in body
    with home_store() as store:
        assert [match.url for match in store.list_matches()] == [local_site.url(path)]
