"""The HTTP/HTTPS retry schedule of SNS delivery policies (pycloud.services.sns.retry)."""

from __future__ import annotations

import pytest

from pycloud.services.sns.retry import retry_delays, total_seconds

BASE = {"minDelayTarget": 10, "maxDelayTarget": 50, "numRetries": 0, "backoffFunction": "linear"}


def test_default_policy_waits_twenty_seconds_three_times():
    policy = {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3}
    assert retry_delays(policy) == [20.0, 20.0, 20.0]
    assert total_seconds(policy) == 60


def test_phases_in_order():
    policy = {**BASE, "numRetries": 8, "numNoDelayRetries": 2, "numMinDelayRetries": 1, "numMaxDelayRetries": 1}
    assert retry_delays(policy) == [0.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 50.0]


@pytest.mark.parametrize("function", ["linear", "arithmetic", "geometric", "exponential"])
def test_backoff_climbs_from_min_to_max(function):
    delays = retry_delays({**BASE, "numRetries": 6, "backoffFunction": function})
    assert delays == sorted(delays)
    assert 10 <= delays[0] < 50 and delays[-1] == pytest.approx(50)


def test_no_retries():
    assert retry_delays({**BASE, "numRetries": 0}) == []
