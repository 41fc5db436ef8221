"""pytest plugin: ``pycloud`` (a session-wide live server) and ``pycloud_client`` fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pycloud.testing.server import PycloudServer


@pytest.fixture(scope="session")
def pycloud() -> Iterator[PycloudServer]:
    """A real pycloud server (ephemeral state) on a free loopback port, for the whole session."""
    server = PycloudServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pycloud_client(pycloud: PycloudServer) -> Callable[..., Any]:
    """Factory of boto3 clients bound to the session's server: ``pycloud_client("s3")``."""
    return pycloud.client
