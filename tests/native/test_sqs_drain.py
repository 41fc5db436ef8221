"""pycloud._core.sqs_drain against a real ``pycloud serve``: a queue drained by native Receive(10) +
DeleteMessageBatch clients is empty afterwards with every message counted once; a wrong secret is
refused on every request and deletes nothing; bad arguments raise ValueError.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from pycloud._core import sqs_drain
from pycloud.testing.server import PycloudServer

MESSAGES = 2_000


@pytest.fixture(scope="module")
def server() -> Iterator[PycloudServer]:
    with PycloudServer() as s:
        yield s


def make_queue(server: PycloudServer, name: str, count: int) -> str:
    """A fresh queue holding ``count`` messages; its URL."""
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for start in range(0, count, 10):
        answer = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"message {start + i}"} for i in range(min(10, count - start))])
        assert not answer.get("Failed")
    return url


def depth(server: PycloudServer, url: str) -> tuple[int, int]:
    """(visible, in flight) as GetQueueAttributes reports them."""
    attributes = server.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def drain(server: PycloudServer, url: str, **kwargs) -> dict:
    parts = urlsplit(server.endpoint)
    args = {"access_key": "test", "secret_key": "test", "connections": 4, "duration_s": 0.0} | kwargs
    return sqs_drain(parts.hostname, parts.port, url, **args)


def test_drains_the_queue_counting_every_message_once(server: PycloudServer) -> None:
    url = make_queue(server, "drain-all", MESSAGES)
    assert depth(server, url) == (MESSAGES, 0)
    result = drain(server, url)
    assert result["messages"] == MESSAGES
    assert result["drained"] is True
    assert result["errors"] == 0
    # at least one receive + one delete per 10 messages, and one empty receive per connection
    assert result["requests"] >= 2 * MESSAGES // 10 + 1
    assert 0 < result["elapsed_s"] < 30
    assert depth(server, url) == (0, 0)


def test_a_wrong_secret_is_refused_and_deletes_nothing(server: PycloudServer) -> None:
    url = make_queue(server, "drain-refused", 50)
    result = drain(server, url, secret_key="not-the-secret")
    assert result["errors"] > 0
    assert result["errors"] == result["requests"]  # every answer was a refusal
    assert result["messages"] == 0
    assert result["drained"] is False
    # refused receives hide nothing either
    assert depth(server, url) == (50, 0)


def test_a_time_bound_stops_a_run_on_a_queue_that_outlasts_it(server: PycloudServer) -> None:
    url = make_queue(server, "drain-bounded", 500)
    result = drain(server, url, connections=1, duration_s=1e-6)
    # one receive + delete cycle at most starts before the deadline
    assert result["errors"] == 0 and result["drained"] is False
    assert result["messages"] <= 10 and result["requests"] <= 2
    assert depth(server, url) == (500 - result["messages"], 0)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("host", "example.com", "host"),
    ("port", 0, "port"),
    ("queue_url", "", "queue_url"),
    ("access_key", "", "access_key"),
    ("region", "us east", "region"),
    ("connections", 0, "connections"),
    ("duration_s", -1.0, "duration_s"),
    ("duration_s", float("nan"), "duration_s"),
])
def test_bad_arguments_raise_value_error(field: str, value: object, message: str) -> None:
    args = {"host": "127.0.0.1", "port": 4566, "queue_url": "http://127.0.0.1:4566/000000000000/q",
            "access_key": "test", "secret_key": "test", "connections": 1, "duration_s": 0.0, field: value}
    with pytest.raises(ValueError, match=message):
        sqs_drain(**args)
