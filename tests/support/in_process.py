"""The real app (dispatcher, providers, state) served on a loop thread of this process, for tests that
subscribe to its event bus or swap its runtime parts (which a ``pycloud serve`` subprocess hides)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import uvloop
from botocore.config import Config

from pycloud.config import load_settings
from pycloud.gateway.app import build_app
from pycloud.gateway.server import HttpServer


def ephemeral_app() -> Any:
    """A fresh app on ephemeral state, configured from defaults only (no file, no environment)."""
    return build_app(load_settings(None, {"ephemeral": True}, environ={}))


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port from a uvloop loop on a background thread; yields its endpoint.

    The server shuts down and the thread ends on exit.
    """
    loop = uvloop.new_event_loop()
    server = HttpServer(app.dispatcher.handle, native=app.dispatcher.native_answer)
    ready = threading.Event()
    port: list[int] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        port.append(loop.run_until_complete(server.start("127.0.0.1", 0)))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the in-process server did not start"
    try:
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        asyncio.run_coroutine_threadsafe(server.shutdown(1), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def app_client(endpoint: str, service: str, region: str = "eu-west-1", secret: str = "test", **config: Any) -> Any:
    """A boto3 client of ``endpoint`` (access key ``test``, no retries); ``config`` adds botocore Config options."""
    return boto3.client(
        service, endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )
