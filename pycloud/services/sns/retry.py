"""The HTTP/HTTPS retry schedule a delivery policy's healthyRetryPolicy describes.

Four phases follow the first attempt: ``numNoDelayRetries`` at once, ``numMinDelayRetries`` after
``minDelayTarget`` each, a backoff phase climbing from the minimum to the maximum delay along the
``backoffFunction``, then ``numMaxDelayRetries`` after ``maxDelayTarget`` each; ``numRetries``
counts them all. SNS caps the whole schedule at one hour.
"""

from __future__ import annotations

from typing import Any

MAX_TOTAL_SECONDS = 3600


def retry_delays(policy: dict[str, Any]) -> list[float]:
    """The wait before each retry, in order (a complete policy: defaults already merged in)."""
    low, high = float(policy["minDelayTarget"]), float(policy["maxDelayTarget"])
    total = int(policy["numRetries"])
    no_delay, at_min, at_max = (
        int(policy.get(k, 0)) for k in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
    )
    backoff = max(0, total - no_delay - at_min - at_max)
    delays = [0.0] * no_delay + [low] * at_min
    function = policy.get("backoffFunction", "linear")
    for i in range(1, backoff + 1):
        share = i / backoff
        if function == "geometric" and low > 0:
            delays.append(low * (high / low) ** share)
        elif function == "exponential":
            delays.append(low + (high - low) * (2 ** (10 * share) - 1) / 1023)
        elif function == "arithmetic":
            delays.append(low + (high - low) * share * share)
        else:
            delays.append(low + (high - low) * share)
    return (delays + [high] * at_max)[:total]


def total_seconds(policy: dict[str, Any]) -> float:
    """How long the whole schedule waits."""
    return sum(retry_delays(policy))
