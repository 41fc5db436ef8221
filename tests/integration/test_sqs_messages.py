"""SQS messages through real clients: send/receive/delete, attributes and digests, visibility, delays,
retention, batches, long polling, purge, dead-letter redrive and move tasks.

Time-based behaviour advances the server's virtual clock; long polls wait under two real seconds.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest
from s3_helpers import error_of
from sqs_helpers import account_fixture, query_code, status, unique

from pycloud.services.sqs.messages import md5_of_attributes
from pycloud.testing.plugin import private_server_fixture

# Advancing the virtual clock by days would expire what other modules sign against a shared server.
pycloud = private_server_fixture()

OWNER = ("210000000011", "AKIASQSMESSAGETEST01", "sqs-message-tests-secret", "sqs-messages")

owner = account_fixture(*OWNER)


@pytest.fixture(scope="module")
def sqs(owner):
    return owner.client()


def _queue(sqs, **attributes) -> str:
    return sqs.create_queue(QueueName=unique(), Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def _counts(sqs, url: str) -> tuple[int, int, int]:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(values["ApproximateNumberOfMessages"]), int(values["ApproximateNumberOfMessagesNotVisible"]),
            int(values["ApproximateNumberOfMessagesDelayed"]))


def _bodies(sqs, url: str, **kwargs) -> list[str]:
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])]


ATTRIBUTES = {
    "color": {"DataType": "String", "StringValue": "blue é"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"},
    "meta.origin": {"DataType": "String.custom", "StringValue": "unit"},
}


# -- the basic flow -------------------------------------------------------------------------------


def test_send_receive_delete_with_digests(pycloud, sqs):
    url = _queue(sqs)
    body = "héllo wörld \U0001f600"
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=ATTRIBUTES,
                            MessageSystemAttributes=trace)
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(trace)
    assert "SequenceNumber" not in sent
    assert _counts(sqs, url) == (1, 0, 0)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    (message,) = got["Messages"]
    assert (message["MessageId"], message["Body"], message["MD5OfBody"]) == (
        sent["MessageId"], body, sent["MD5OfMessageBody"])
    assert message["MessageAttributes"] == ATTRIBUTES
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    system = message["Attributes"]
    assert system["SenderId"] == OWNER[0]  # the account's root signed it
    assert system["ApproximateReceiveCount"] == "1"
    assert system["AWSTraceHeader"] == trace["AWSTraceHeader"]["StringValue"]
    virtual_now_ms = (time.time() + pycloud.admin("GET", "/_pycloud/clock")["offset_seconds"]) * 1000
    assert abs(int(system["SentTimestamp"]) - virtual_now_ms) < 60_000
    assert int(system["ApproximateFirstReceiveTimestamp"]) >= int(system["SentTimestamp"])
    assert _counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert _counts(sqs, url) == (0, 0, 0)
    # A stale but well-formed handle of a deleted message still succeeds.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    err = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage")
    assert (query_code(err), status(err)) == ("ReceiptHandleIsInvalid", 400)


def test_received_attributes_are_selected_and_digested_as_returned(sqs):
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageAttributes=ATTRIBUTES)
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["meta.*", "count"],
                                  AttributeNames=["SentTimestamp"], VisibilityTimeout=0)["Messages"][0]
    assert set(message["MessageAttributes"]) == {"meta.origin", "count"}
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(
        {k: ATTRIBUTES[k] for k in ("meta.origin", "count")})
    assert set(message["Attributes"]) == {"SentTimestamp"}
    bare = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in bare and "Attributes" not in bare
    assert query_code(error_of(sqs.receive_message, QueueUrl=url, AttributeNames=["Nope"])) == "InvalidAttributeName"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MessageBody": "bad \x01 char"}, "InvalidMessageContents"),
        ({"MessageBody": ""}, "MissingParameter"),
        ({"MessageBody": "x", "DelaySeconds": 901}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}}},
         "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}},
         "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageSystemAttributes": {"Other": {"DataType": "String", "StringValue": "v"}}},
         "InvalidParameterValue"),
    ],
)
def test_invalid_sends(sqs, kwargs, code):
    err = error_of(sqs.send_message, QueueUrl=_queue(sqs), **kwargs)
    assert (query_code(err), status(err)) == (code, 400)


def test_maximum_message_size_counts_attributes(sqs):
    url = _queue(sqs, MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    attribute = {"a": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1016, MessageAttributes=attribute)
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x" * 1017, MessageAttributes=attribute)
    assert query_code(err) == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"MaxNumberOfMessages": 11}, "InvalidParameterValue"), ({"MaxNumberOfMessages": 0}, "InvalidParameterValue"),
     ({"WaitTimeSeconds": 21}, "InvalidParameterValue"), ({"VisibilityTimeout": 43201}, "InvalidParameterValue")],
)
def test_invalid_receives(sqs, kwargs, code):
    assert query_code(error_of(sqs.receive_message, QueueUrl=_queue(sqs), **kwargs)) == code


def test_receive_up_to_ten(sqs):
    url = _queue(sqs)
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    first = _bodies(sqs, url)
    second = _bodies(sqs, url)
    assert len(first) == 10 and len(second) == 2
    assert sorted(first + second) == sorted(f"m{i}" for i in range(12))
    assert _bodies(sqs, url) == []


# -- time: visibility, delays, retention ----------------------------------------------------------


def test_visibility_timeout_and_receive_count(pycloud, sqs):
    url = _queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="v")
    first = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert _bodies(sqs, url) == []
    pycloud.advance_clock(31)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=100)
    message = again["Messages"][0]
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"
    assert message["ReceiptHandle"] != first["ReceiptHandle"]
    pycloud.advance_clock(50)
    assert _bodies(sqs, url) == []  # the receive's own 100 s, not the queue's 30 s
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    err = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=third["ReceiptHandle"],
                   VisibilityTimeout=10)
    assert isinstance(err, sqs.exceptions.MessageNotInflight)
    assert query_code(err) == "AWS.SimpleQueueService.MessageNotInflight"
    err = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=third["ReceiptHandle"],
                   VisibilityTimeout=43201)
    assert query_code(err) == "InvalidParameterValue"


def test_message_and_queue_delays(pycloud, sqs):
    url = _queue(sqs, DelaySeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="own-delay", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    assert _counts(sqs, url) == (1, 0, 2)
    assert _bodies(sqs, url, VisibilityTimeout=0) == ["no-delay"]
    pycloud.advance_clock(21)
    assert sorted(_bodies(sqs, url, VisibilityTimeout=0)) == ["no-delay", "queue-delay"]
    pycloud.advance_clock(40)
    assert sorted(_bodies(sqs, url, VisibilityTimeout=0)) == ["no-delay", "own-delay", "queue-delay"]


def test_retention_drops_old_messages(pycloud, sqs):
    url = _queue(sqs, MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    pycloud.advance_clock(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    pycloud.advance_clock(31)
    assert _bodies(sqs, url) == ["young"]


# -- batches --------------------------------------------------------------------------------------


def test_send_batch_partial_failure(sqs):
    url = _queue(sqs)
    result = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok-1", "MessageBody": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "bad_2", "MessageBody": "bad \x02"},
        {"Id": "ok-3", "MessageBody": "three", "DelaySeconds": 0},
    ])
    assert sorted(e["Id"] for e in result["Successful"]) == ["ok-1", "ok-3"]
    ok1 = next(e for e in result["Successful"] if e["Id"] == "ok-1")
    assert ok1["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    assert ok1["MD5OfMessageAttributes"] == md5_of_attributes({"k": {"DataType": "String", "StringValue": "v"}})
    (failed,) = result["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("bad_2", "InvalidMessageContents", True)
    assert sorted(_bodies(sqs, url)) == ["one", "three"]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        ([{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
        ([{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}],
         "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
        ([{"Id": "no spaces", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "x" * 81, "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "y" * 600_000}],
         "AWS.SimpleQueueService.BatchRequestTooLong"),
    ],
)
def test_batch_request_rules(sqs, entries, code):
    err = error_of(sqs.send_message_batch, QueueUrl=_queue(sqs), Entries=entries)
    assert (query_code(err), status(err)) == (code, 400)


def test_delete_and_visibility_batches(sqs):
    url = _queue(sqs)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(3)])
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 3
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "b", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0},
        {"Id": "c", "ReceiptHandle": messages[1]["ReceiptHandle"], "VisibilityTimeout": 50000},
    ])
    assert [e["Id"] for e in changed["Successful"]] == ["a"]
    assert sorted((e["Id"], e["Code"]) for e in changed["Failed"]) == [
        ("b", "ReceiptHandleIsInvalid"), ("c", "InvalidParameterValue")]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == [messages[0]["Body"]]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "x", "ReceiptHandle": again[0]["ReceiptHandle"]},
        {"Id": "y", "ReceiptHandle": messages[1]["ReceiptHandle"]},
        {"Id": "z", "ReceiptHandle": "bogus"},
    ])
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["x", "y"]
    assert [(e["Id"], e["Code"]) for e in deleted["Failed"]] == [("z", "ReceiptHandleIsInvalid")]
    assert _counts(sqs, url) == (0, 1, 0)


# -- long polling ---------------------------------------------------------------------------------


def _long_poll_while(sqs, url: str, action) -> tuple[dict, float]:
    """Long-poll ``url`` (up to 10 s) while ``action`` runs 0.3 s later on a timer thread; the answer and
    the seconds the receive took."""
    timer = threading.Timer(0.3, action)
    started = time.monotonic()
    timer.start()
    try:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    finally:
        timer.join()
    return got, time.monotonic() - started


def test_long_poll_returns_as_soon_as_a_message_arrives(owner, sqs):
    url = _queue(sqs)
    sender = owner.client()
    got, elapsed = _long_poll_while(sqs, url, lambda: sender.send_message(QueueUrl=url, MessageBody="late"))
    assert [m["Body"] for m in got["Messages"]] == ["late"]
    assert 0.25 <= elapsed < 2


def test_long_poll_times_out_empty(sqs):
    url = _queue(sqs, ReceiveMessageWaitTimeSeconds=1)  # the queue's default wait applies
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert 0.9 <= time.monotonic() - started < 2
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert time.monotonic() - started < 0.5


def test_long_poll_wakes_when_the_clock_makes_a_message_visible(pycloud, sqs):
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    got, elapsed = _long_poll_while(sqs, url, lambda: pycloud.advance_clock(601))
    assert [m["Body"] for m in got["Messages"]] == ["delayed"]
    assert elapsed < 2


# -- purge ----------------------------------------------------------------------------------------


def test_purge_and_its_cooldown(pycloud, sqs):
    url = _queue(sqs)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"p{i}")
    sqs.receive_message(QueueUrl=url)  # one in flight: purged too
    sqs.purge_queue(QueueUrl=url)
    assert _counts(sqs, url) == (0, 0, 0)
    err = error_of(sqs.purge_queue, QueueUrl=url)
    assert isinstance(err, sqs.exceptions.PurgeQueueInProgress)
    assert (query_code(err), status(err)) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
    pycloud.advance_clock(61)
    sqs.send_message(QueueUrl=url, MessageBody="after")
    sqs.purge_queue(QueueUrl=url)
    assert _bodies(sqs, url) == []


# -- dead-letter queues and move tasks ------------------------------------------------------------


def _with_dlq(sqs, max_receives: int = 2) -> tuple[str, str, str, str]:
    dlq = _queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = _queue(sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}))
    src_arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return src, src_arn, dlq, dlq_arn


def _dead_lettered(sqs, bodies: list[str]) -> tuple[str, str, str, str]:
    """A source queue (maxReceiveCount 1) whose messages ``bodies`` were all moved to its dead-letter
    queue by a second receive; (source URL, source ARN, dead-letter URL, dead-letter ARN)."""
    src, src_arn, dlq, dlq_arn = _with_dlq(sqs, max_receives=1)
    for body in bodies:
        sqs.send_message(QueueUrl=src, MessageBody=body)
    for _ in range(2):
        _bodies(sqs, src, VisibilityTimeout=0)
    assert _counts(sqs, dlq)[0] == len(bodies)
    return src, src_arn, dlq, dlq_arn


def test_redrive_to_the_dead_letter_queue(sqs):
    src, src_arn, dlq, _ = _with_dlq(sqs, max_receives=2)
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    assert _bodies(sqs, src, VisibilityTimeout=0) == ["poison"]
    assert _bodies(sqs, src, VisibilityTimeout=0) == ["poison"]
    assert _bodies(sqs, src, VisibilityTimeout=0) == []  # the third receive moved it
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == src_arn


def test_move_task_redrives_at_its_rate(pycloud, sqs):
    src, src_arn, dlq, dlq_arn = _dead_lettered(sqs, [f"r{i}" for i in range(4)])
    err = error_of(sqs.start_message_move_task, SourceArn=src_arn)  # not a dead-letter queue
    assert query_code(err) == "InvalidParameterValue"
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=src_arn,
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["TaskHandle"], task["ApproximateNumberOfMessagesToMove"]) == ("RUNNING", handle, 4)
    err = error_of(sqs.start_message_move_task, SourceArn=dlq_arn, DestinationArn=src_arn)
    assert query_code(err) == "AWS.SimpleQueueService.UnsupportedOperation"  # one running task per source
    pycloud.advance_clock(2)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "RUNNING" and 2 <= task["ApproximateNumberOfMessagesMoved"] < 4
    pycloud.advance_clock(5)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
    assert "TaskHandle" not in task
    assert sorted(_bodies(sqs, src)) == [f"r{i}" for i in range(4)]
    assert query_code(error_of(sqs.cancel_message_move_task, TaskHandle=handle)) == (
        "AWS.SimpleQueueService.UnsupportedOperation")


def test_move_task_without_destination_returns_messages_to_their_source(sqs):
    src, src_arn, dlq, dlq_arn = _dead_lettered(sqs, [f"back{i}" for i in range(3)])
    sqs.start_message_move_task(SourceArn=dlq_arn)  # no rate: everything on its first step
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 3)
    assert "DestinationArn" not in task and "MaxNumberOfMessagesPerSecond" not in task
    back = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in back) == ["back0", "back1", "back2"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in back)  # counts start over


def test_cancel_move_task(pycloud, sqs):
    src, src_arn, dlq, dlq_arn = _dead_lettered(sqs, [f"c{i}" for i in range(5)])
    other = _queue(sqs)
    other_arn = sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=other_arn,
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    pycloud.advance_clock(2)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 2 <= moved < 5
    pycloud.advance_clock(10)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("CANCELLED", moved)
    assert _counts(sqs, other)[0] == moved and _counts(sqs, dlq)[0] == 5 - moved
    err = error_of(sqs.list_message_move_tasks, SourceArn=f"arn:aws:sqs:us-east-1:{OWNER[0]}:{unique('none')}")
    assert (query_code(err), status(err)) == ("ResourceNotFoundException", 404)
    assert query_code(error_of(sqs.cancel_message_move_task, TaskHandle="bm90LWEtdGFzaw==")) == (
        "ResourceNotFoundException")


# -- the query protocol and the CLI ---------------------------------------------------------------


def test_query_protocol_message_flow(owner):
    client = owner.query_client()
    url = client.create_queue(QueueName=unique("query"))["QueueUrl"]
    sent = client.send_message(QueueUrl=url, MessageBody="über query", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(ATTRIBUTES)
    batch = client.send_message_batch(QueueUrl=url, Entries=[{"Id": "one", "MessageBody": "second"}])
    assert [e["Id"] for e in batch["Successful"]] == ["one"] and batch.get("Failed", []) == []
    got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                 AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["second", "über query"]
    first = next(m for m in got if m["Body"] == "über query")
    assert first["MessageAttributes"] == ATTRIBUTES
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    result = client.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert len(result["Successful"]) == 2
    err = error_of(client.send_message, QueueUrl=url, MessageBody="bad \x03")
    assert (query_code(err), status(err)) == ("InvalidMessageContents", 400)
    err = error_of(client.send_message_batch, QueueUrl=url, Entries=[])
    assert query_code(err) == "AWS.SimpleQueueService.EmptyBatchRequest"


def test_cli_message_flow(owner):
    url = owner.cli("create-queue", "--queue-name", unique("cli"))["QueueUrl"]
    sent = owner.cli("send-message", "--queue-url", url, "--message-body", "from the cli",
                     "--message-attributes", '{"k": {"DataType": "String", "StringValue": "v"}}')
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from the cli").hexdigest()
    got = owner.cli("receive-message", "--queue-url", url, "--message-attribute-names", "All",
                    "--attribute-names", "All")["Messages"][0]
    assert got["Body"] == "from the cli"
    assert got["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    owner.cli("delete-message", "--queue-url", url, "--receipt-handle", got["ReceiptHandle"])
    assert owner.cli("receive-message", "--queue-url", url) is None
