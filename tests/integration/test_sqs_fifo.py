"""SQS FIFO queues through real clients: ordering, group locking, deduplication, sequence numbers,
receive-attempt retries, high-throughput settings and FIFO dead-letter queues.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from s3_helpers import error_of
from sqs_helpers import account_fixture, query_code, unique

from pycloud.testing.plugin import private_server_fixture

# Advancing the virtual clock by days would expire what other modules sign against a shared server.
pycloud = private_server_fixture()

OWNER = ("210000000021", "AKIASQSFIFOTESTS0001", "sqs-fifo-tests-secret", "sqs-fifo")

owner = account_fixture(*OWNER)


@pytest.fixture(scope="module")
def sqs(owner):
    return owner.client()


def _fifo(sqs, **attributes) -> str:
    values = {"FifoQueue": "true", **{k: str(v) for k, v in attributes.items()}}
    return sqs.create_queue(QueueName=unique("fifo") + ".fifo", Attributes=values)["QueueUrl"]


def _receive(sqs, url: str, count: int = 10, **kwargs) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **kwargs).get("Messages", [])


def test_fifo_attributes(sqs):
    url = _fifo(sqs)
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (values["FifoQueue"], values["ContentBasedDeduplication"], values["DeduplicationScope"],
            values["FifoThroughputLimit"]) == ("true", "false", "queue", "perQueue")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "messageGroup",
                                                       "FifoThroughputLimit": "perMessageGroupId"})
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DeduplicationScope", "FifoThroughputLimit"])
    assert values["Attributes"] == {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"DeduplicationScope": "queue"})
    assert query_code(err) == "InvalidAttributeValue"  # perMessageGroupId needs messageGroup scope
    # Same name and attributes → same queue; the FIFO flag is one of the attributes.
    name = url.rsplit("/", 1)[1]
    assert sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"] == url


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "MissingParameter"),
        ({"MessageBody": "x", "MessageGroupId": "g"}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5},
         "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageGroupId": "with space", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),
        ({"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d" * 129}, "InvalidParameterValue"),
    ],
)
def test_fifo_send_rules(sqs, kwargs, code):
    assert query_code(error_of(sqs.send_message, QueueUrl=_fifo(sqs), **kwargs)) == code


def test_order_within_a_group_and_sequence_numbers(sqs):
    url = _fifo(sqs)
    sent = [sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g",
                             MessageDeduplicationId=f"d{i}") for i in range(5)]
    numbers = [s["SequenceNumber"] for s in sent]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    got = _receive(sqs, url, MessageSystemAttributeNames=["All"])
    assert [m["Body"] for m in got] == [f"m{i}" for i in range(5)]
    first = got[0]["Attributes"]
    assert (first["MessageGroupId"], first["MessageDeduplicationId"], first["SequenceNumber"]) == (
        "g", "d0", numbers[0])


def test_a_group_in_flight_is_locked(sqs):
    url = _fifo(sqs)
    for group in ("a", "b"):
        for i in range(2):
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}{i}", MessageGroupId=group,
                             MessageDeduplicationId=f"{group}{i}")
    first = _receive(sqs, url, count=1)
    assert [m["Body"] for m in first] == ["a0"]
    # Group a is locked while a0 is in flight; b is free.
    assert [m["Body"] for m in _receive(sqs, url)] == ["b0", "b1"]
    assert _receive(sqs, url) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert [m["Body"] for m in _receive(sqs, url)] == ["a1"]


def test_deduplication_window(pycloud, sqs):
    url = _fifo(sqs)
    one = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="same")
    two = sqs.send_message(QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="same")
    assert (two["MessageId"], two["SequenceNumber"]) == (one["MessageId"], one["SequenceNumber"])
    (message,) = _receive(sqs, url)
    assert message["Body"] == "x"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    pycloud.advance_clock(60)
    again = sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="same")
    assert again["MessageId"] == one["MessageId"]  # still within five minutes, even after the delete
    pycloud.advance_clock(241)
    later = sqs.send_message(QueueUrl=url, MessageBody="w", MessageGroupId="g", MessageDeduplicationId="same")
    assert later["MessageId"] != one["MessageId"]
    assert [m["Body"] for m in _receive(sqs, url)] == ["w"]


def test_content_based_deduplication(sqs):
    url = _fifo(sqs, ContentBasedDeduplication="true")
    one = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")
    assert sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="h")["MessageId"] == one["MessageId"]
    other = sqs.send_message(QueueUrl=url, MessageBody="other body", MessageGroupId="g")
    assert other["MessageId"] != one["MessageId"]
    # An explicit id overrides the generated one.
    explicit = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g", MessageDeduplicationId="e")
    assert explicit["MessageId"] != one["MessageId"]
    got = _receive(sqs, url, MessageSystemAttributeNames=["MessageDeduplicationId"])
    assert [m["Body"] for m in got] == ["same body", "other body", "same body"]
    assert got[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same body").hexdigest()


def test_receive_request_attempt_id_retries_return_the_same_messages(sqs):
    url = _fifo(sqs)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"r{i}", MessageGroupId=f"g{i}", MessageDeduplicationId=f"r{i}")
    first = _receive(sqs, url, count=2, ReceiveRequestAttemptId="attempt-1")
    retry = _receive(sqs, url, count=2, ReceiveRequestAttemptId="attempt-1")
    assert [(m["Body"], m["ReceiptHandle"]) for m in retry] == [(m["Body"], m["ReceiptHandle"]) for m in first]
    assert [m["Body"] for m in _receive(sqs, url, ReceiveRequestAttemptId="attempt-2")] == ["r2"]
    err = error_of(sqs.receive_message, QueueUrl=url, ReceiveRequestAttemptId="has space")
    assert query_code(err) == "InvalidParameterValue"


def test_batch_keeps_order_and_reports_entries(sqs):
    url = _fifo(sqs)
    result = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "1", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
        {"Id": "b", "MessageBody": "2", "MessageDeduplicationId": "2"},
        {"Id": "c", "MessageBody": "3", "MessageGroupId": "g", "MessageDeduplicationId": "3"},
    ])
    assert [e["Id"] for e in result["Successful"]] == ["a", "c"]
    assert all(e["SequenceNumber"] for e in result["Successful"])
    assert [(e["Id"], e["Code"]) for e in result["Failed"]] == [("b", "MissingParameter")]
    assert [m["Body"] for m in _receive(sqs, url)] == ["1", "3"]


def test_fifo_dead_letter_queue(sqs):
    dlq = _fifo(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = _fifo(sqs, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    sqs.send_message(QueueUrl=src, MessageBody="bad", MessageGroupId="g", MessageDeduplicationId="bad")
    assert [m["Body"] for m in _receive(sqs, src, VisibilityTimeout=0)] == ["bad"]
    assert _receive(sqs, src, VisibilityTimeout=0) == []
    moved = _receive(sqs, dlq, MessageSystemAttributeNames=["MessageGroupId"])
    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in moved] == [("bad", "g")]
    standard = sqs.create_queue(QueueName=unique("std"))["QueueUrl"]
    err = error_of(sqs.set_queue_attributes, QueueUrl=standard, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
    assert query_code(err) == "InvalidParameterValue"  # a standard queue needs a standard DLQ


def test_fifo_through_the_query_protocol_and_the_cli(owner, sqs):
    url = _fifo(sqs)
    query = owner.query_client()
    sent = query.send_message(QueueUrl=url, MessageBody="q1", MessageGroupId="g", MessageDeduplicationId="q1")
    assert sent["SequenceNumber"]
    cli_sent = owner.cli("send-message", "--queue-url", url, "--message-body", "c2", "--message-group-id", "g",
                         "--message-deduplication-id", "c2")
    assert int(cli_sent["SequenceNumber"]) > int(sent["SequenceNumber"])
    got = query.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["q1", "c2"]
    assert got[0]["Attributes"]["SequenceNumber"] == sent["SequenceNumber"]
    for message in got:
        owner.cli("delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    assert owner.cli("receive-message", "--queue-url", url) is None
