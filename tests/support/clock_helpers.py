"""Shared pieces of tests on the virtual clock: the server's now, moving it to a moment, lifecycle due dates."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

DAY = 86_400


def server_now(server: Any) -> datetime:
    """The server's virtual now (admin API)."""
    return datetime.fromisoformat(server.admin("GET", "/_pycloud/clock")["now"].replace("Z", "+00:00"))


def advance_to(server: Any, when: datetime) -> None:
    """Move the server clock to ``when`` (it must still be in the future: the clock only moves forward)."""
    seconds = (when - server_now(server)).total_seconds()
    assert seconds > 0, "target time already passed"
    server.advance_clock(seconds)


def lifecycle_due(start: datetime, days: int) -> datetime:
    """``start + days`` rounded up to the next midnight UTC: when S3 applies an age-based lifecycle action."""
    return datetime.fromtimestamp(math.ceil((start.timestamp() + days * DAY) / DAY) * DAY, UTC)
