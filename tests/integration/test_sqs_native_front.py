"""The native SQS front: the hot message operations answered natively behave exactly as the request road.

Two servers run side by side, one with the front (the default) and one with
``PYCLOUD_NATIVE_FRONT=0``; the same signed requests go to both and their answers are compared. The
front's counters (``GET /_pycloud/sqs/native-front``) show which requests it answered, so every test
also proves which road a request took. Security cases show the front never answers what the road
would refuse: wrong signatures, IAM-bound callers, other accounts, queue policies added later.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from s3_helpers import error_of
from sqs_helpers import signed_json_request, unique

from pycloud.testing.server import PycloudServer

KEY, SECRET = "test", "test"


@pytest.fixture(scope="module")
def front():
    with PycloudServer() as server:
        yield server


@pytest.fixture(scope="module")
def road():
    with PycloudServer(env={**os.environ, "PYCLOUD_NATIVE_FRONT": "0"}) as server:
        yield server


def counters(server: PycloudServer) -> dict[str, Any]:
    return server.admin("GET", "/_pycloud/sqs/native-front")


def signed(endpoint: str, operation: str, payload: Any, **kwargs: Any) -> bytes:
    """The raw bytes of a SigV4-signed SQS JSON request to ``endpoint``, as an SDK sends it."""
    return signed_json_request(urlsplit(endpoint).netloc, operation, payload, **kwargs)


def exchange(endpoint: str, *chunks: bytes, pause: float = 0.0) -> tuple[int, dict[str, str], bytes]:
    """Send ``chunks`` (as separate writes, ``pause`` apart) on one connection; the response."""
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, chunk in enumerate(chunks):
            if i and pause:
                time.sleep(pause)
            sock.sendall(chunk)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def call(server: PycloudServer, operation: str, payload: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    status, headers, body = exchange(server.endpoint, signed(server.endpoint, operation, payload, **kwargs))
    return status, headers, json.loads(body)


MASKED = ("MessageId", "ReceiptHandle", "SentTimestamp", "ApproximateFirstReceiveTimestamp", "SequenceNumber")


def masked(document: Any) -> Any:
    """The answer with what differs between two servers by design (ids, handles, times) masked."""
    if isinstance(document, dict):
        return {k: ("*" if k in MASKED else masked(v)) for k, v in document.items()}
    if isinstance(document, list):
        return [masked(v) for v in document]
    return document


def make_queue(server: PycloudServer, name: str, **attributes: str) -> str:
    status, _, answer = call(server, "CreateQueue", {"QueueName": name, "Attributes": attributes})
    assert status == 200, answer
    url = answer["QueueUrl"]
    call(server, "GetQueueAttributes", {"QueueUrl": url})  # not served natively: teaches nothing
    return url


ATTRIBUTES = {
    "color": {"DataType": "String", "StringValue": "blue é"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": "AP8Q"},
    "meta.origin": {"DataType": "String.custom", "StringValue": "unit"},
}
TRACE = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
BODY_TEXT = 'tab\there "quoted" back\\slash\nline\r é ü 漢字 😀 \x7f end'


Step = tuple[str, Callable[[str], dict[str, Any]], bool]
"""(operation, payload for a queue URL, whether the front answers it)."""


def compare(front: PycloudServer, road: PycloudServer, urls: dict[PycloudServer, str],
            steps: list[Step]) -> dict[PycloudServer, list[dict[str, Any]]]:
    """Send each step's request to both servers and hold their answers equal (status, header names,
    body with member order, ids and times masked); each server's last messages received with a
    visibility timeout."""
    received: dict[PycloudServer, list[dict[str, Any]]] = {}
    for operation, build, native in steps:
        answers = []
        for server in (front, road):
            before = counters(server).get("answered", 0)
            status, headers, body = call(server, operation, build(urls[server]))
            answered = counters(server).get("answered", 0) - before
            if operation == "ReceiveMessage" and status == 200:
                body = {**body, "Messages": sorted(body.get("Messages", []), key=lambda m: m["Body"])}
            answers.append((status, sorted(headers), json.dumps(masked(body)), answered))  # member order too
            if operation == "ReceiveMessage" and body.get("Messages") and build(urls[server]).get("VisibilityTimeout"):
                received[server] = body["Messages"]
        (f_status, f_headers, f_body, f_answered), (r_status, r_headers, r_body, r_answered) = answers
        assert (f_status, f_body) == (r_status, r_body), operation
        assert set(f_headers) - {"date"} == set(r_headers) - {"date"}, operation
        assert f_answered == (1 if native else 0), (operation, build(urls[front]))
        assert r_answered == 0
    return received


def test_answers_match_the_request_road(front, road):
    name = unique("front")
    urls = {s: make_queue(s, name, MaximumMessageSize="1024") for s in (front, road)}
    steps: list[Step] = [
        # (operation, payload builder, whether the front answers it)
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "first"}, False),  # teaches the front
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": BODY_TEXT}, True),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 0}, True),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "bad \x01 char"}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "y" * 1025}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": ""}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "z", "DelaySeconds": 901}, False),
        ("SendMessage", lambda url: {"QueueUrl": url + "-missing", "MessageBody": "z"}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "attrs", "MessageAttributes": ATTRIBUTES,
                                     "MessageSystemAttributes": TRACE}, True),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "odd attrs", "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": "1.5E+3"}, "b": {"DataType": "Binary", "BinaryValue": "AP9="}}},
         False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "bad", "MessageAttributes": {
            "AWS.reserved": {"DataType": "String", "StringValue": "v"}}}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "bad", "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": "forty-two"}}}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "y" * 1000, "MessageAttributes": {
            "big": {"DataType": "String", "StringValue": "z" * 30}}}, False),  # over 1,024 with its attribute
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "a", "MessageBody": "one"}, {"Id": "b-2", "MessageBody": BODY_TEXT},
            {"Id": "c_3", "MessageBody": "three", "DelaySeconds": 0}]}, True),
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "d", "MessageBody": "four", "MessageAttributes": ATTRIBUTES},
            {"Id": "e", "MessageBody": "five", "MessageSystemAttributes": TRACE}]}, True),
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "a", "MessageBody": "one"}, {"Id": "a", "MessageBody": "two"}]}, False),
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": []}, False),
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "ok", "MessageBody": "fine"}, {"Id": "big", "MessageBody": "y" * 1025}]}, False),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 11}, False),
        # Attributes asked for: rendered natively (VisibilityTimeout 0 leaves the messages visible).
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                                        "AttributeNames": ["All"], "MessageAttributeNames": ["All"]}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                                        "MessageSystemAttributeNames": ["SenderId", "AWSTraceHeader"],
                                        "MessageAttributeNames": ["meta.*", "count", "missing"]}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                                        "AttributeNames": ["ApproximateReceiveCount", "QueueArn"]}, False),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                                        "AttributeNames": ["Nope"]}, False),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 60}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "AttributeNames": ["All"]}, True),
        ("DeleteMessage", lambda url: {"QueueUrl": url, "ReceiptHandle": "not-a-handle"}, False),
        ("DeleteMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "x", "ReceiptHandle": "not-a-handle"}]}, False),
    ]
    received = compare(front, road, urls, steps)
    # Every message sent came back with its digest, natively on the front.
    bodies = [m["Body"] for m in received[front]]
    assert bodies == [m["Body"] for m in received[road]]
    assert bodies.count(BODY_TEXT) == 2 and "first" in bodies and "fine" in bodies
    # Deletes: natively when every handle is good, by the road when one is not (same answer either way).
    for server in (front, road):
        messages = received[server]
        before = counters(server).get("answered", 0)
        status, _, body = call(server, "DeleteMessage", {"QueueUrl": urls[server],
                                                         "ReceiptHandle": messages[0]["ReceiptHandle"]})
        assert (status, body) == (200, {})
        entries = [{"Id": f"m{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:4])]
        status, _, body = call(server, "DeleteMessageBatch", {"QueueUrl": urls[server], "Entries": entries})
        assert (status, body) == (200, {"Successful": [{"Id": e["Id"]} for e in entries], "Failed": []})
        entries = [{"Id": "good", "ReceiptHandle": messages[4]["ReceiptHandle"]}, {"Id": "bad", "ReceiptHandle": "nope"}]
        status, _, body = call(server, "DeleteMessageBatch", {"QueueUrl": urls[server], "Entries": entries})
        assert status == 200 and body["Successful"] == [{"Id": "good"}]
        assert [f["Id"] for f in body["Failed"]] == ["bad"] and body["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
        if server is front:
            assert counters(server)["answered"] - before == 2  # the good-only deletes
        else:
            assert counters(server) == {"enabled": False}
    # What is left is exactly what was not deleted, on both servers.
    left = {}
    for server in (front, road):
        status, _, body = call(server, "ReceiveMessage", {"QueueUrl": urls[server], "MaxNumberOfMessages": 10,
                                                          "VisibilityTimeout": 0})
        left[server] = sorted(m["Body"] for m in body.get("Messages", []))
    assert left[front] == left[road] == []  # everything received was in flight; nothing visible yet


def test_fifo_answers_match_the_request_road(front, road):
    name = unique("fifo") + ".fifo"
    urls = {s: make_queue(s, name, FifoQueue="true") for s in (front, road)}
    cbd = {s: make_queue(s, unique("cbd") + ".fifo", FifoQueue="true", ContentBasedDeduplication="true")
           for s in (front, road)}
    group = {"MessageGroupId": "g1"}
    steps: list[Step] = [
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "teach", **group,
                                     "MessageDeduplicationId": "d0"}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "one", **group,
                                     "MessageDeduplicationId": "d1"}, True),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "one again", **group,
                                     "MessageDeduplicationId": "d1"}, True),  # a duplicate: the first's id
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "no dedup id", **group}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "no group", "MessageDeduplicationId": "d2"},
         False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "delayed", **group,
                                     "MessageDeduplicationId": "d3", "DelaySeconds": 5}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "bad group", "MessageGroupId": "a b",
                                     "MessageDeduplicationId": "d4"}, False),
        ("SendMessageBatch", lambda url: {"QueueUrl": url, "Entries": [
            {"Id": "a", "MessageBody": "two", "MessageGroupId": "g2", "MessageDeduplicationId": "d5"},
            {"Id": "b", "MessageBody": "three", "MessageGroupId": "g2", "MessageDeduplicationId": "d6",
             "DelaySeconds": 0}]}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 30,
                                        "AttributeNames": ["All"], "ReceiveRequestAttemptId": "attempt-1"}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 30,
                                        "AttributeNames": ["All"], "ReceiveRequestAttemptId": "attempt-1"}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10,
                                        "ReceiveRequestAttemptId": "bad attempt"}, False),
    ]
    received = compare(front, road, urls, steps)
    assert sorted(m["Body"] for m in received[front]) == ["one", "teach", "three", "two"]  # the repeat: same ones
    content_steps: list[Step] = [
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "teach", **group}, False),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "same", **group}, True),
        ("SendMessage", lambda url: {"QueueUrl": url, "MessageBody": "same", **group}, True),
        ("ReceiveMessage", lambda url: {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 30}, True),
    ]
    received = compare(front, road, cbd, content_steps)
    assert sorted(m["Body"] for m in received[front]) == ["same", "teach"]


def test_boto3_flow_is_answered_natively_with_verified_digests(front):
    sqs = front.client("sqs")
    url = sqs.create_queue(QueueName=unique("boto"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="teach")
    before = counters(front)["answered"]
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"{BODY_TEXT} {i}")  # botocore checks MD5OfMessageBody
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(10)])
    got: list[dict[str, Any]] = []
    while len(got) < 31:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])  # MD5OfBody checked
        assert batch
        got += batch
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(batch)])
    assert sorted(m["Body"] for m in got) == sorted(["teach", *(f"{BODY_TEXT} {i}" for i in range(20)),
                                                     *(f"b{i}" for i in range(10))])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert counters(front)["answered"] - before >= 21 + 4 * 2 + 1


def test_a_request_split_across_reads_is_answered_natively(front):
    url = make_queue(front, unique("split"))
    call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "teach"})
    raw = signed(front.endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": "split body é"})
    head_end = raw.index(b"\r\n\r\n") + 4
    before = counters(front)["answered"]
    for chunks in ((raw[:head_end], raw[head_end:]), (raw[:10], raw[10:head_end + 5], raw[head_end + 5:])):
        status, _, body = exchange(front.endpoint, *chunks, pause=0.05)
        assert status == 200 and json.loads(body)["MD5OfMessageBody"]
    assert counters(front)["answered"] - before == 2


def test_pipelined_requests_take_the_road_in_order(front):
    url = make_queue(front, unique("pipe"))
    call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "teach"})
    first = signed(front.endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": "p1"})
    second = signed(front.endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": "p2"})
    parts = urlsplit(front.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(first + second)
        data, bodies = b"", []
        while len(bodies) < 2:
            data += sock.recv(65536)
            while b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                bodies.append(rest[:length])
                data = rest[length:]
    digests = [json.loads(body)["MD5OfMessageBody"] for body in bodies]
    assert digests == [hashlib.md5(b"p1").hexdigest(), hashlib.md5(b"p2").hexdigest()]


def test_a_wrong_signature_is_refused_after_the_key_was_learned(front):
    url = make_queue(front, unique("sig"))
    assert call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "teach"})[0] == 200
    before = counters(front)["answered"]
    status, _, body = call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "forged"}, secret="wrong")
    assert status in (400, 403) and "Signature" in body["__type"], body
    tampered = signed(front.endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": "aaaa"})
    tampered = tampered.replace(b'"aaaa"', b'"bbbb"')
    status, _, body = exchange(front.endpoint, tampered)
    assert status in (400, 403) and "Signature" in json.loads(body)["__type"]
    assert counters(front)["answered"] == before


def test_iam_users_and_other_accounts_are_decided_by_the_road(front):
    sqs = front.client("sqs")
    url = sqs.create_queue(QueueName=unique("iam"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="teach")
    iam = front.client("iam")
    user = unique("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    status, _, body = call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "denied"},
                           key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert status in (400, 403) and "AccessDenied" in body["__type"], body
    status, _, body = call(front, "ReceiveMessage", {"QueueUrl": url},
                           key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert status == 200 and body["Messages"][0]["Body"] == "teach"
    # Another account's root, with no queue policy granting it anything.
    front.admin("POST", "/_pycloud/accounts", {"id": "310000000031", "access_key": "AKIAFRONTOTHER000001",
                                               "secret_key": "other-secret", "name": "front-other"})
    other = front.client("sqs", access_key="AKIAFRONTOTHER000001", secret_key="other-secret")
    other_url = other.create_queue(QueueName=unique("mine"))["QueueUrl"]
    other.send_message(QueueUrl=other_url, MessageBody="teach")  # the front knows this key now
    before = counters(front)["answered"]
    status, _, body = call(front, "SendMessage", {"QueueUrl": url, "MessageBody": "x"},
                           key="AKIAFRONTOTHER000001", secret="other-secret")
    assert status in (400, 403) and "AccessDenied" in body["__type"], body
    assert counters(front)["answered"] == before


def test_a_queue_policy_set_later_is_enforced(front):
    sqs = front.client("sqs")
    url = sqs.create_queue(QueueName=unique("pol"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="teach")
    sqs.send_message(QueueUrl=url, MessageBody="native")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]})})
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="denied")
    assert "AccessDenied" in err.response["Error"]["Code"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    sqs.send_message(QueueUrl=url, MessageBody="again")  # the road again: the queue changed
    before = counters(front)["answered"]
    sqs.send_message(QueueUrl=url, MessageBody="again, natively")
    assert counters(front)["answered"] - before == 1
    sqs.delete_queue(QueueUrl=url)  # a deleted queue is gone for the front too
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="gone")
    assert err.response["Error"]["Code"] in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def test_delays_and_visibility_run_on_the_virtual_clock():
    with PycloudServer() as server:
        url = make_queue(server, unique("clock"))
        call(server, "SendMessage", {"QueueUrl": url, "MessageBody": "teach"})
        call(server, "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": call(
            server, "ReceiveMessage", {"QueueUrl": url})[2]["Messages"][0]["ReceiptHandle"]})
        before = counters(server)["answered"]
        assert call(server, "SendMessage", {"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 600})[0] == 200
        assert call(server, "ReceiveMessage", {"QueueUrl": url})[2] == {}
        server.advance_clock(601)
        got = call(server, "ReceiveMessage", {"QueueUrl": url, "VisibilityTimeout": 300})[2]["Messages"]
        assert [m["Body"] for m in got] == ["later"]
        assert call(server, "ReceiveMessage", {"QueueUrl": url})[2] == {}
        server.advance_clock(301)
        again = call(server, "ReceiveMessage", {"QueueUrl": url})[2]["Messages"]
        assert [m["Body"] for m in again] == ["later"] and again[0]["ReceiptHandle"] != got[0]["ReceiptHandle"]
        assert counters(server)["answered"] - before == 5


def test_a_native_send_wakes_a_long_poll(front):
    sqs = front.client("sqs")
    url = sqs.create_queue(QueueName=unique("wake"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="teach")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"])
    result: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        result["messages"] = front.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=15).get("Messages")
        result["waited"] = time.monotonic() - started

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.5)
    before = counters(front)["answered"]
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    thread.join(20)
    assert counters(front)["answered"] - before == 1
    assert [m["Body"] for m in result["messages"]] == ["wake up"] and result["waited"] < 10


def test_the_front_can_be_turned_off(road):
    url = make_queue(road, unique("off"))
    for _ in range(3):
        assert call(road, "SendMessage", {"QueueUrl": url, "MessageBody": "m"})[0] == 200
    assert counters(road) == {"enabled": False}


def test_a_running_message_move_task_sends_every_request_down_the_road():
    with PycloudServer() as server:
        sqs = server.client("sqs")
        dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        source = sqs.create_queue(QueueName=unique("src"), Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})})["QueueUrl"]
        sqs.send_message(QueueUrl=source, MessageBody="teach")
        for start in range(0, 50, 10):
            sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"dead {i}"}
                                                          for i in range(start, start + 10)])
        # one message a second: the task runs for the rest of the test
        task = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        before = counters(server)["answered"]
        for i in range(3):
            sqs.send_message(QueueUrl=source, MessageBody=f"during {i}")
        assert counters(server)["answered"] == before
        sqs.cancel_message_move_task(TaskHandle=task)
        sqs.send_message(QueueUrl=source, MessageBody="after")
        sqs.send_message(QueueUrl=source, MessageBody="after, again")
        assert counters(server)["answered"] == before + 2  # natively again once the task stopped
