"""pycloud._core.SqsFront through the bindings: what it answers, what it hands back untouched, and the
queue engine's state after each, with explicit virtual times and signed requests built by botocore.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqs_helpers import signed_json_request

from pycloud._core import QueueEngine, SqsFront

HOST = "127.0.0.1:4566"
URL = f"http://{HOST}/000000000000/q1"
ENGINE_NAME = "000000000000/us-east-1/q1"
EXTRAS = b'{"s":"000000000000"}'
RESPONSE = re.compile(rb"^HTTP/1\.1 200 OK\r\n(.*?)\r\n\r\n(.*)$", re.S)


def signed(operation: str, payload: object, **kwargs: Any) -> bytes:
    return signed_json_request(HOST, operation, payload, **kwargs)


@pytest.fixture
def engine():
    e = QueueEngine(None)
    e.create_queue(ENGINE_NAME, False)
    yield e
    e.close()


@pytest.fixture
def front(engine):
    f = SqsFront(engine)
    f.set_credential("test", "test", "000000000000", "000000000000")
    f.set_queue(URL, "us-east-1", ENGINE_NAME, "000000000000", 1024, 0)
    return f


def now() -> float:
    return datetime.now(UTC).timestamp()


def answer(front: SqsFront, raw: bytes) -> tuple[dict[str, str], dict]:
    result = front.handle(raw, now(), True)
    assert result is not None and result is not False, "the front declined"
    match = RESPONSE.match(result[0])
    assert match is not None, result[0][:200]
    headers = dict(line.split(": ", 1) for line in match.group(1).decode().split("\r\n"))
    assert int(headers["Content-Length"]) == len(match.group(2))
    return headers, json.loads(match.group(2))


def test_send_receive_delete(front, engine):
    headers, sent = answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": "héllo 😀"}))
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo 😀".encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", headers["x-amzn-RequestId"])
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    _, got = answer(front, signed("ReceiveMessage", {"QueueUrl": URL, "MaxNumberOfMessages": 10}))
    (message,) = got["Messages"]
    assert message["Body"] == "héllo 😀" and message["MessageId"] == sent["MessageId"]
    assert engine.stats(ENGINE_NAME, int(now() * 1000)).in_flight == 1
    _, deleted = answer(front, signed("DeleteMessageBatch", {"QueueUrl": URL, "Entries": [
        {"Id": "a", "ReceiptHandle": message["ReceiptHandle"]}]}))
    assert deleted == {"Successful": [{"Id": "a"}], "Failed": []}
    stats = engine.stats(ENGINE_NAME, int(now() * 1000))
    assert (stats.visible, stats.in_flight) == (0, 0)
    assert front.stats == {"answered": 3, "passed": 0}


def test_messages_carry_the_senders_extras(front, engine):
    answer(front, signed("SendMessageBatch", {"QueueUrl": URL, "Entries": [
        {"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]}))
    found = engine.receive(ENGINE_NAME, 10, int(now() * 1000))
    assert sorted(bytes(m.body) for m in found) == [b"m0", b"m1", b"m2"]
    assert {bytes(m.attributes) for m in found} == {EXTRAS}


@pytest.mark.parametrize("case", [
    "unknown key", "wrong secret", "tampered body", "other region", "session token", "skewed",
    "unknown queue", "other account", "attributes", "fifo ids", "bad character", "too large", "query protocol",
    "unknown operation", "connection close", "gzip",
])
def test_declines_without_changing_anything(front, engine, case):
    payload: dict = {"QueueUrl": URL, "MessageBody": "x"}
    kwargs: dict = {}
    raw = None
    at = now()
    if case == "unknown key":
        kwargs = {"key": "AKIAUNKNOWN", "secret": "test"}
    elif case == "wrong secret":
        kwargs = {"secret": "nope"}
    elif case == "tampered body":
        raw = signed("SendMessage", {"QueueUrl": URL, "MessageBody": "aaaa"}).replace(b'"aaaa"', b'"bbbb"')
    elif case == "other region":
        kwargs = {"region": "eu-west-1"}
    elif case == "session token":
        kwargs = {"extra": {"X-Amz-Security-Token": "token"}}
    elif case == "skewed":
        at += 16 * 60  # signed more than 15 minutes before the server's now
    elif case == "unknown queue":
        payload["QueueUrl"] = URL + "x"
    elif case == "other account":
        front.set_credential("AKIAOTHER", "s", "111111111111", "111111111111")
        kwargs = {"key": "AKIAOTHER", "secret": "s"}
    elif case == "attributes":  # a reserved name: the road words the error
        payload["MessageAttributes"] = {"AWS.a": {"DataType": "String", "StringValue": "b"}}
    elif case == "fifo ids":  # a deduplication id is for FIFO queues only
        payload["MessageDeduplicationId"] = "d"
    elif case == "bad character":
        payload["MessageBody"] = "bad \x00"
    elif case == "too large":
        payload["MessageBody"] = "y" * 1025
    elif case == "query protocol":
        raw = (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 19\r\n\r\nAction=SendMessage&").encode()
    elif case == "unknown operation":
        raw = signed("PurgeQueue", {"QueueUrl": URL})
    elif case == "connection close":
        raw = signed("SendMessage", payload).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
    elif case == "gzip":
        kwargs = {"extra": {"Content-Encoding": "gzip"}}
    raw = raw if raw is not None else signed("SendMessage", payload, **kwargs)
    assert front.handle(raw, at, True) is None
    stats = engine.stats(ENGINE_NAME, int(now() * 1000))
    assert (stats.visible, stats.in_flight, stats.delayed) == (0, 0, 0)
    assert front.stats == {"answered": 0, "passed": 1}


def test_message_attributes_are_checked_stored_and_digested_as_on_the_road(front, engine):
    from pycloud.services.sqs import messages

    attributes = {
        "color": {"DataType": "String", "StringValue": "blue é"},
        "count": {"DataType": "Number", "StringValue": "-42.5"},
        "blob": {"DataType": "Binary", "BinaryValue": "AP8Q"},
        "meta.origin": {"DataType": "String.custom", "StringValue": "unit"},
    }
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}}
    _, sent = answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x", "MessageAttributes": attributes,
                                                   "MessageSystemAttributes": trace}))
    decoded = {k: ({"DataType": v["DataType"], "BinaryValue": bytes([0, 255, 16])} if "BinaryValue" in v else v)
               for k, v in attributes.items()}
    assert sent["MD5OfMessageAttributes"] == messages.md5_of_attributes(decoded)
    assert sent["MD5OfMessageSystemAttributes"] == messages.md5_of_attributes(trace)
    (stored,) = engine.receive(ENGINE_NAME, 10, int(now() * 1000))
    extras = messages.decode_extras(bytes(stored.attributes))
    assert (extras.attributes, extras.trace_header, extras.sender_id) == (decoded, "Root=1-abc", "000000000000")
    for odd in ({"n": {"DataType": "Number", "StringValue": "1e5"}},  # the road's to parse
                {"b": {"DataType": "Binary", "BinaryValue": "AP9="}},  # not canonical base64
                {"l": {"DataType": "String", "StringListValues": ["a"]}},
                {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
                {"x": {"DataType": "Strin", "StringValue": "v"}}):
        raw = signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x", "MessageAttributes": odd})
        assert front.handle(raw, now(), True) is None, odd


def test_the_skew_window_is_the_callers_to_turn_off(front):
    raw = signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"})
    later = now() + 3 * 3600  # the virtual clock was advanced: the road drops the window too
    assert front.handle(raw, later, True) is None
    assert front.handle(raw, later, False) is not None


def test_unverified_keys_are_not_checked_as_on_the_road(front):
    front.set_credential("AKIAANYTHING", "", "000000000000", "000000000000", False)
    raw = signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}, key="AKIAANYTHING", secret="whatever")
    assert front.handle(raw, now(), True) is not None


def test_every_prefix_of_a_served_request_asks_for_more(front):
    raw = signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"})
    for end in range(1, len(raw)):
        assert front.handle(raw[:end], now(), True) is False, end
    assert front.handle(raw, now(), True) is not None
    s3_put = b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"a" * 10
    assert front.handle(s3_put, now(), True) is None
    other_post = signed("PurgeQueue", {"QueueUrl": URL})
    assert front.handle(other_post[:-3], now(), True) is False  # an SQS target: worth waiting for
    form = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 99\r\n\r\nA"
    assert front.handle(form, now(), True) is None


def test_a_long_poll_is_left_to_the_road(front, engine):
    assert front.handle(signed("ReceiveMessage", {"QueueUrl": URL, "WaitTimeSeconds": 5}), now(), True) is None
    _, empty = answer(front, signed("ReceiveMessage", {"QueueUrl": URL}))
    assert empty == {}
    front.set_queue(URL, "us-east-1", ENGINE_NAME, "000000000000", 1024, 20)  # ReceiveMessageWaitTimeSeconds
    assert front.handle(signed("ReceiveMessage", {"QueueUrl": URL}), now(), True) is None
    answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}))
    _, got = answer(front, signed("ReceiveMessage", {"QueueUrl": URL}))  # found at once: answered
    assert got["Messages"][0]["Body"] == "x"


def test_sends_name_the_queue_to_wake_and_receives_its_dead_letter_queue(front, engine):
    engine.create_queue("000000000000/us-east-1/dlq", False)
    front.set_queue(URL, "us-east-1", ENGINE_NAME, "000000000000", 1024, 0, "000000000000/us-east-1/dlq")
    assert front.handle(signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}), now(), True)[1] == ENGINE_NAME
    result = front.handle(signed("ReceiveMessage", {"QueueUrl": URL}), now(), True)
    assert result[1] == "000000000000/us-east-1/dlq"
    operation, key, account, region, request_id = front.last_answer()
    assert (operation, key, account, region) == ("ReceiveMessage", "test", "000000000000", "us-east-1")
    front.clear_queues()
    assert front.queue_count == 0
    assert front.handle(signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}), now(), True) is None


def test_a_failed_delete_is_left_to_the_road(front, engine):
    answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}))
    _, got = answer(front, signed("ReceiveMessage", {"QueueUrl": URL}))
    handle = got["Messages"][0]["ReceiptHandle"]
    raw = signed("DeleteMessageBatch", {"QueueUrl": URL, "Entries": [
        {"Id": "good", "ReceiptHandle": handle}, {"Id": "bad", "ReceiptHandle": "garbage"}]})
    assert front.handle(raw, now(), True) is None
    # The good entry was deleted; repeating it (as the road does) succeeds again.
    assert engine.delete_batch(ENGINE_NAME, [handle], int(now() * 1000)) == [None]
    assert front.handle(signed("DeleteMessage", {"QueueUrl": URL, "ReceiptHandle": "garbage"}), now(), True) is None


def test_the_engine_serves_other_threads_while_the_front_answers(front, engine):
    def sender() -> None:
        for i in range(500):
            engine.send(ENGINE_NAME, f"t{i}".encode(), EXTRAS, int(now() * 1000))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(500):
        answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": f"f{i}"}))
    for t in threads:
        t.join()
    assert engine.stats(ENGINE_NAME, int(now() * 1000)).visible == 2000


def test_the_front_declines_once_its_engine_is_closed(front, engine):
    answer(front, signed("SendMessage", {"QueueUrl": URL, "MessageBody": "x"}))
    engine.close()  # the front does not keep it open
    assert front.handle(signed("SendMessage", {"QueueUrl": URL, "MessageBody": "y"}), now(), True) is None
