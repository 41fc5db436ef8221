"""SQS message move tasks without a DestinationArn: a dead-letter queue fed by several source queues
sends each message back to the queue it was dead-lettered from; tasks whose source or destination
queue is deleted while they run end FAILED.

Rate-limited tasks progress as the server's virtual clock advances. The module has a server of its
own: waiting out DeleteQueue's 60-second cooldown moves the clock further than other modules expect.
"""

from __future__ import annotations

import json

import pytest
from s3_helpers import error_of
from sqs_helpers import account_fixture, query_code, unique

from pycloud.testing.plugin import private_server_fixture

OWNER = ("210000000031", "AKIASQSMOVETASKS0001", "sqs-move-task-tests-secret", "sqs-move-tasks")
QUEUE_GONE = "AWS.SimpleQueueService.NonExistentQueue"

pycloud = private_server_fixture()
owner = account_fixture(*OWNER)


@pytest.fixture(scope="module")
def sqs(owner):
    return owner.client()


def _arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _queue(sqs, fifo: bool = False, **attributes) -> str:
    name = unique() + (".fifo" if fifo else "")
    if fifo:
        attributes.update(FifoQueue="true", ContentBasedDeduplication="true")
    return sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def _visible(sqs, url: str) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(values["ApproximateNumberOfMessages"])


def _receive_all(sqs, url: str) -> list[dict]:
    """Every visible message of ``url`` (received with a long visibility timeout), in receive order."""
    out: list[dict] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600,
                                  MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not got:
            return out
        out.extend(got)


def _source(sqs, dlq_arn: str, bodies: list[str], fifo: bool = False) -> str:
    """A source queue redriving into ``dlq_arn`` after one receive, whose ``bodies`` were dead-lettered."""
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url = _queue(sqs, fifo, RedrivePolicy=redrive)
    for body in bodies:
        extra = {"MessageGroupId": "g"} if fifo else {}
        sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
    for _ in range(len(bodies) + 1):  # the receive that would exceed maxReceiveCount moves them instead
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert _visible(sqs, url) == 0
    return url


def _task(sqs, dlq_arn: str) -> dict:
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    return task


def test_two_sources_redrive_back_to_their_own_queues(pycloud, sqs):
    dlq = _queue(sqs)
    dlq_arn = _arn(sqs, dlq)
    first = _source(sqs, dlq_arn, ["a0", "a1", "a2"])
    second = _source(sqs, dlq_arn, ["b0", "b1"])
    assert _visible(sqs, dlq) == 5

    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    task = _task(sqs, dlq_arn)
    assert (task["Status"], task["TaskHandle"], task["ApproximateNumberOfMessagesToMove"]) == ("RUNNING", handle, 5)
    assert "DestinationArn" not in task
    seen_running = []
    for _ in range(10):
        pycloud.advance_clock(1)
        task = _task(sqs, dlq_arn)
        if task["Status"] != "RUNNING":
            break
        seen_running.append(task["ApproximateNumberOfMessagesMoved"])
    assert seen_running and all(0 < moved < 5 for moved in seen_running)  # it went at its rate
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (
        "COMPLETED", 5, 5)

    back_first = _receive_all(sqs, first)
    back_second = _receive_all(sqs, second)
    assert sorted(m["Body"] for m in back_first) == ["a0", "a1", "a2"]
    assert sorted(m["Body"] for m in back_second) == ["b0", "b1"]
    for m in back_first + back_second:
        assert m["Attributes"]["ApproximateReceiveCount"] == "1"  # counts start over
        assert "DeadLetterQueueSourceArn" not in m["Attributes"]
    assert _visible(sqs, dlq) == 0


def test_messages_of_a_deleted_source_stay_in_the_dead_letter_queue(sqs):
    dlq = _queue(sqs)
    dlq_arn = _arn(sqs, dlq)
    kept = _source(sqs, dlq_arn, ["k0", "k1"])
    gone = _source(sqs, dlq_arn, ["g0"])
    gone_arn = _arn(sqs, gone)
    sqs.delete_queue(QueueUrl=gone)

    sqs.start_message_move_task(SourceArn=dlq_arn)  # no rate: everything on its first step
    task = _task(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (
        "COMPLETED", 2, 3)
    assert sorted(m["Body"] for m in _receive_all(sqs, kept)) == ["k0", "k1"]
    (left,) = _receive_all(sqs, dlq)
    assert left["Body"] == "g0"
    assert left["Attributes"]["DeadLetterQueueSourceArn"] == gone_arn


def test_fifo_sources_get_their_messages_back_in_order(sqs):
    dlq = _queue(sqs, fifo=True)
    dlq_arn = _arn(sqs, dlq)
    first = _source(sqs, dlq_arn, ["a0", "a1", "a2"], fifo=True)
    second = _source(sqs, dlq_arn, ["b0"], fifo=True)
    sqs.start_message_move_task(SourceArn=dlq_arn)
    task = _task(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 4)
    assert [m["Body"] for m in _receive_all(sqs, first)] == ["a0", "a1", "a2"]
    assert [m["Body"] for m in _receive_all(sqs, second)] == ["b0"]


def test_deleting_the_destination_fails_a_running_task(pycloud, sqs):
    dlq = _queue(sqs)
    dlq_arn = _arn(sqs, dlq)
    _source(sqs, dlq_arn, [f"d{i}" for i in range(6)])
    destination = _queue(sqs)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=_arn(sqs, destination),
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    pycloud.advance_clock(2)
    moved = _task(sqs, dlq_arn)["ApproximateNumberOfMessagesMoved"]
    assert 2 <= moved < 6
    sqs.delete_queue(QueueUrl=destination)

    task = _task(sqs, dlq_arn)
    assert (task["Status"], task["FailureReason"], task["ApproximateNumberOfMessagesMoved"]) == (
        "FAILED", QUEUE_GONE, moved)
    assert "TaskHandle" not in task
    pycloud.advance_clock(10)  # a failed task moves nothing more
    assert _task(sqs, dlq_arn)["ApproximateNumberOfMessagesMoved"] == moved
    assert _visible(sqs, dlq) == 6 - moved
    err = error_of(sqs.cancel_message_move_task, TaskHandle=handle)
    assert query_code(err) == "AWS.SimpleQueueService.UnsupportedOperation"
    # the source is free for a new task
    sqs.start_message_move_task(SourceArn=dlq_arn)
    assert _task(sqs, dlq_arn)["Status"] == "COMPLETED"


def test_deleting_the_source_fails_a_running_task(pycloud, sqs):
    dlq_name = unique("dlq")
    dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = _arn(sqs, dlq)
    _source(sqs, dlq_arn, [f"s{i}" for i in range(6)])
    destination = _queue(sqs)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=_arn(sqs, destination),
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    pycloud.advance_clock(2)
    moved = _task(sqs, dlq_arn)["ApproximateNumberOfMessagesMoved"]
    sqs.delete_queue(QueueUrl=dlq)
    assert query_code(error_of(sqs.cancel_message_move_task, TaskHandle=handle)) == "ResourceNotFoundException"
    pycloud.advance_clock(61)
    assert _visible(sqs, destination) == moved  # nothing more arrived

    # The task history belongs to the source queue's ARN: a queue of the same name lists it.
    sqs.create_queue(QueueName=dlq_name)
    task = _task(sqs, dlq_arn)
    assert (task["Status"], task["FailureReason"], task["ApproximateNumberOfMessagesMoved"]) == (
        "FAILED", QUEUE_GONE, moved)


def test_source_and_destination_must_differ(sqs):
    dlq = _queue(sqs)
    dlq_arn = _arn(sqs, dlq)
    _source(sqs, dlq_arn, ["x"])
    err = error_of(sqs.start_message_move_task, SourceArn=dlq_arn, DestinationArn=dlq_arn)
    assert query_code(err) == "InvalidParameterValue"
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"] == []
