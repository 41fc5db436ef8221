"""SQS control-plane state that must outlive a restart of ``pycloud serve`` on the same data directory:
DeleteQueue's and PurgeQueue's 60-second cooldowns and message move tasks (history and progress).

Each test runs its own servers on a private data directory. The virtual clock's offset is not kept
across a restart (it starts again at real time), which these tests take into account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from s3_helpers import error_of
from sqs_helpers import query_code, status, unique

from pycloud.state.store import StateStore
from pycloud.testing import PycloudServer


@contextmanager
def _server(data: Path) -> Iterator[PycloudServer]:
    """A server on ``data``, stopped gracefully at the end of the block."""
    with PycloudServer(["--data-dir", str(data)], ephemeral=False) as server:
        yield server


def _stored(data: Path, kind: str) -> list[str]:
    """The keys of the SQS records of ``kind`` in the stopped server's state file."""
    with StateStore.open(data) as store:
        return [record.key for record in store.load("sqs", kind)]


def _arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _visible(sqs, url: str) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(values["ApproximateNumberOfMessages"])


def _dead_letter(sqs, dlq_arn: str, count: int, prefix: str) -> None:
    """Put ``count`` messages into the dead-letter queue ``dlq_arn`` through a source queue of its own."""
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    url = sqs.create_queue(QueueName=unique("src"), Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    for i in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=f"{prefix}{i}")
    for _ in range(count + 1):  # the receive that would exceed maxReceiveCount moves them instead
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert _visible(sqs, url) == 0


def _tasks(sqs, dlq_arn: str) -> list[dict]:
    return sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]


def test_delete_cooldown_outlives_a_restart(tmp_path):
    data = tmp_path / "data"
    name, other = unique("gone"), unique("gone")
    with _server(data) as server:
        sqs = server.client("sqs")
        sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName=name)["QueueUrl"])
        sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName=other)["QueueUrl"])
    assert sorted(_stored(data, "deleted-queue")) == sorted([name, other])

    with _server(data) as server:
        sqs = server.client("sqs")
        err = error_of(sqs.create_queue, QueueName=name)
        assert (query_code(err), status(err)) == ("AWS.SimpleQueueService.QueueDeletedRecently", 400)
        server.advance_clock(61)
        assert sqs.create_queue(QueueName=name)["QueueUrl"].endswith("/" + name)
    # Cooldowns that ran out are dropped, whether their name was reused or not.
    assert _stored(data, "deleted-queue") == []

    with _server(data) as server:  # and a cooldown that ran out before the restart does not come back
        assert server.client("sqs").create_queue(QueueName=other)["QueueUrl"].endswith("/" + other)


def test_purge_cooldown_outlives_a_restart(tmp_path):
    data = tmp_path / "data"
    name = unique("purged")
    with _server(data) as server:
        sqs = server.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="first")
        sqs.purge_queue(QueueUrl=url)

    with _server(data) as server:
        sqs = server.client("sqs")
        err = error_of(sqs.purge_queue, QueueUrl=url)
        assert (query_code(err), status(err)) == ("AWS.SimpleQueueService.PurgeQueueInProgress", 403)
        sqs.send_message(QueueUrl=url, MessageBody="second")
        server.advance_clock(61)
        sqs.purge_queue(QueueUrl=url)
        assert _visible(sqs, url) == 0
        # Deleting the queue ends its purge cooldown along with it.
        sqs.delete_queue(QueueUrl=url)
    assert _stored(data, "purge") == []


def test_move_tasks_and_their_progress_outlive_a_restart(tmp_path):
    data = tmp_path / "data"
    with _server(data) as server:
        sqs = server.client("sqs")
        dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
        dlq_arn = _arn(sqs, dlq)
        destination = sqs.create_queue(QueueName=unique("dst"))["QueueUrl"]
        destination_arn = _arn(sqs, destination)
        _dead_letter(sqs, dlq_arn, 3, "a")
        sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=destination_arn)  # done at once
        _dead_letter(sqs, dlq_arn, 20, "b")
        handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=destination_arn,
                                             MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        server.advance_clock(2)
        (before, _) = _tasks(sqs, dlq_arn)
        assert before["Status"] == "RUNNING" and 2 <= before["ApproximateNumberOfMessagesMoved"] < 20

    with _server(data) as server:
        sqs = server.client("sqs")
        running, done = _tasks(sqs, dlq_arn)
        assert (done["Status"], done["ApproximateNumberOfMessagesMoved"], done["ApproximateNumberOfMessagesToMove"]) \
            == ("COMPLETED", 3, 3)
        assert (running["Status"], running["TaskHandle"], running["ApproximateNumberOfMessagesToMove"]) == (
            "RUNNING", handle, 20)
        assert (running["StartedTimestamp"], running["MaxNumberOfMessagesPerSecond"]) == (
            before["StartedTimestamp"], 1)
        # The restarted clock is back at real time, behind where the task had got to: it carries on
        # from its progress rather than waiting for real time to catch up.
        moved = running["ApproximateNumberOfMessagesMoved"]
        assert before["ApproximateNumberOfMessagesMoved"] <= moved < 20
        assert _visible(sqs, destination) == 3 + moved
        server.advance_clock(5)
        (running, _) = _tasks(sqs, dlq_arn)
        assert running["Status"] == "RUNNING" and running["ApproximateNumberOfMessagesMoved"] >= moved + 5
        server.advance_clock(30)
        (finished, _) = _tasks(sqs, dlq_arn)
        assert (finished["Status"], finished["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 20)
        assert _visible(sqs, destination) == 23 and _visible(sqs, dlq) == 0


def test_cancelled_and_failed_tasks_outlive_a_restart(tmp_path):
    data = tmp_path / "data"
    with _server(data) as server:
        sqs = server.client("sqs")
        cancelled_dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
        failed_dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
        cancelled_arn, failed_arn = _arn(sqs, cancelled_dlq), _arn(sqs, failed_dlq)
        destination = sqs.create_queue(QueueName=unique("dst"))["QueueUrl"]
        doomed = sqs.create_queue(QueueName=unique("dst"))["QueueUrl"]
        _dead_letter(sqs, cancelled_arn, 10, "c")
        _dead_letter(sqs, failed_arn, 10, "f")
        cancelled = sqs.start_message_move_task(SourceArn=cancelled_arn, DestinationArn=_arn(sqs, destination),
                                                MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        sqs.start_message_move_task(SourceArn=failed_arn, DestinationArn=_arn(sqs, doomed),
                                    MaxNumberOfMessagesPerSecond=1)
        server.advance_clock(2)
        moved = sqs.cancel_message_move_task(TaskHandle=cancelled)["ApproximateNumberOfMessagesMoved"]
        sqs.delete_queue(QueueUrl=doomed)
        (failed,) = sqs.list_message_move_tasks(SourceArn=failed_arn)["Results"]
        assert failed["Status"] == "FAILED"

    with _server(data) as server:
        sqs = server.client("sqs")
        server.advance_clock(30)  # neither moves on
        (task,) = sqs.list_message_move_tasks(SourceArn=cancelled_arn)["Results"]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("CANCELLED", moved)
        assert _visible(sqs, cancelled_dlq) == 10 - moved
        (task,) = sqs.list_message_move_tasks(SourceArn=failed_arn)["Results"]
        assert (task["Status"], task["FailureReason"], task["ApproximateNumberOfMessagesMoved"]) == (
            "FAILED", "AWS.SimpleQueueService.NonExistentQueue", failed["ApproximateNumberOfMessagesMoved"])
        assert _visible(sqs, failed_dlq) == 10 - failed["ApproximateNumberOfMessagesMoved"]
        assert query_code(error_of(sqs.cancel_message_move_task, TaskHandle=cancelled)) == (
            "AWS.SimpleQueueService.UnsupportedOperation")
