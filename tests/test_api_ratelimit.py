"""Reading the APIs' rate-limit headers (spiders/ratelimit.py), one dialect per test."""

from scrapy.http import Request, TextResponse

from leaktrack.spiders.ratelimit import is_rate_limit_refusal, rate_limit_of, refusal_wait

NOW = 1_790_000_000.0


def answer(status: int = 200, body: bytes = b"{}", **headers: str) -> TextResponse:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return TextResponse(
        "https://api.example/x",
        status=status,
        headers=named,
        body=body,
        request=Request("https://api.example/x"),
    )


def test_github_epoch_reset_with_nothing_left_says_how_long_to_wait():
    limit = rate_limit_of(answer(x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 42)), NOW)
    assert limit.exhausted_for == 42


def test_a_window_with_requests_left_needs_no_wait():
    assert (
        rate_limit_of(
            answer(x_ratelimit_remaining="7", x_ratelimit_reset=str(int(NOW) + 42)), NOW
        ).exhausted_for
        is None
    )


def test_gitlab_headers_are_read_too():
    limit = rate_limit_of(answer(RateLimit_Remaining="0", RateLimit_Reset=str(int(NOW) + 5)), NOW)
    assert limit.exhausted_for == 5


def test_brave_per_window_lists_wait_for_the_exhausted_window_only():
    limit = rate_limit_of(answer(x_ratelimit_remaining="0, 900", x_ratelimit_reset="1, 1419704"), NOW)
    assert limit.exhausted_for == 1
    month_gone = rate_limit_of(answer(x_ratelimit_remaining="1, 0", x_ratelimit_reset="1, 1419704"), NOW)
    assert month_gone.exhausted_for == 1419704


def test_retry_after_comes_first_then_the_reset_then_a_doubling_wait():
    both = rate_limit_of(
        answer(429, retry_after="3", x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 60)), NOW
    )
    assert refusal_wait(both, refusals=0, secondary_wait=60) == 3
    reset_only = rate_limit_of(
        answer(403, x_ratelimit_remaining="0", x_ratelimit_reset=str(int(NOW) + 60)), NOW
    )
    assert refusal_wait(reset_only, refusals=0, secondary_wait=60) == 60
    neither = rate_limit_of(
        answer(403, body=b'{"message": "You have exceeded a secondary rate limit."}'), NOW
    )
    assert [refusal_wait(neither, refusals=n, secondary_wait=60) for n in range(3)] == [60, 120, 240]


def test_a_403_without_rate_limit_signs_is_a_permission_error_not_a_refusal_to_wait_out():
    forbidden = answer(403, body=b'{"message": "Resource not accessible by personal access token"}')
    assert not is_rate_limit_refusal(forbidden, rate_limit_of(forbidden, NOW))
    secondary = answer(403, body=b'{"message": "You have exceeded a secondary rate limit."}')
    assert is_rate_limit_refusal(secondary, rate_limit_of(secondary, NOW))
    assert is_rate_limit_refusal(answer(429), rate_limit_of(answer(429), NOW))
