"""Crash safety of SQS: producers send and consumers receive and delete while the server is
SIGKILLed at random moments.

After the last restart (and once every visibility timeout has run out on the virtual clock), every
message whose SendMessage was acknowledged is still there unless a DeleteMessage for it was sent (one
cut off by the kill may or may not have happened), and no message whose DeleteMessage was
acknowledged ever comes back.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pycloud.testing import PycloudServer

QUEUE = "crash-test"


def _produce(sqs, url: str, round_no: int, stop: threading.Event, sent: set[str]) -> None:
    n = 0
    while not stop.is_set():
        body = f"r{round_no}-m{n:06d}"
        n += 1
        try:
            if n % 3:
                sqs.send_message(QueueUrl=url, MessageBody=body)
                sent.add(body)
            else:  # every third call is a batch of five
                entries = [{"Id": str(i), "MessageBody": f"{body}-{i}"} for i in range(5)]
                answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
                sent.update(f"{body}-{entry['Id']}" for entry in answer.get("Successful", []))
        except (ClientError, BotoCoreError, OSError):
            return  # the server died mid-request


def _consume(sqs, url: str, stop: threading.Event, deleted: set[str], deleting: set[str]) -> None:
    while not stop.is_set():
        try:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
                "Messages", [])
            if not messages:
                continue
            # a delete whose answer is lost to the kill may still have happened
            deleting.update(m["Body"] for m in messages)
            if len(messages) > 1:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
                ok = {int(entry["Id"]) for entry in answer.get("Successful", [])}
                deleted.update(messages[i]["Body"] for i in ok)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
                deleted.add(messages[0]["Body"])
        except (ClientError, BotoCoreError, OSError):
            return


@pytest.mark.parametrize("fsync", ["batch", "always"])
def test_acknowledged_sends_and_deletes_survive_sigkill(tmp_path, fsync):
    args = ["--data-dir", str(tmp_path / "data"), "--fsync", fsync]
    config = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
    rng = random.Random(4321)
    sent: set[str] = set()
    deleted: set[str] = set()
    deleting: set[str] = set()

    with PycloudServer(args, ephemeral=False) as server:
        url = server.client("sqs").create_queue(QueueName=QUEUE)["QueueUrl"]

    for round_no in range(4):
        server = PycloudServer(args, ephemeral=False).start()
        sqs = server.client("sqs", config=config)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_produce, args=(sqs, url, round_no, stop, sent)),
            threading.Thread(target=_consume, args=(sqs, url, stop, deleted, deleting)),
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 1.2))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(30)

    assert len(sent) > 50 and len(deleted) > 10, "producers and consumers should have made progress"
    with PycloudServer(args, ephemeral=False) as server:
        server.advance_clock(3600)  # every visibility timeout from before the kills has run out
        sqs = server.client("sqs", config=config)
        remaining: list[str] = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600).get(
                "Messages", [])
            if not messages:
                break
            remaining.extend(m["Body"] for m in messages)
        left = set(remaining)
        assert not (left & deleted), f"deleted messages came back: {sorted(left & deleted)[:5]}"
        missing = sent - deleting - left
        assert not missing, f"acknowledged sends lost: {sorted(missing)[:5]}"
        # a message whose delete was attempted but not acknowledged is either gone or back
        assert deleted <= deleting
        # nothing appears that no producer ever tried to send
        assert all(body.startswith("r") and "-m" in body for body in left)
