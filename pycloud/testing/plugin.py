"""pytest plugin: ``pycloud`` (a session-wide live server) and ``pycloud_client`` fixtures, and
``private_server_fixture`` for test modules that need a server of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest

from pycloud.testing.server import PycloudServer


@pytest.fixture(scope="session")
def pycloud() -> Iterator[PycloudServer]:
    """A real pycloud server (ephemeral state) on a free loopback port, for the whole session."""
    with PycloudServer() as server:
        yield server


def private_server_fixture(scope: Literal["session", "package", "module", "class"] = "module") -> Any:
    """A ``pycloud`` fixture with a server of its own for ``scope`` (a module by default).

    A test module that would disturb the shared server (advancing its virtual clock by days expires the
    credentials and presigned URLs other modules create) overrides the session fixture with it:
    ``pycloud = private_server_fixture()``.
    """

    @pytest.fixture(scope=scope, name="pycloud")
    def private() -> Iterator[PycloudServer]:
        with PycloudServer() as server:
            yield server

    return private


@pytest.fixture
def pycloud_client(pycloud: PycloudServer) -> Callable[..., Any]:
    """Factory of boto3 clients bound to the session's server: ``pycloud_client("s3")``."""
    return pycloud.client
