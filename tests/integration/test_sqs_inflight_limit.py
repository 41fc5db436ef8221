"""A standard queue holds at most 120,000 in-flight messages: the next ReceiveMessage answers
OverLimit (json and query protocols) until a delete makes room.

Filling a queue that far takes 24,000 calls, so they go through the lean signing session of
``pycloud bench`` on four threads; the assertions use botocore clients.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from s3_helpers import error_of
from sqs_helpers import account_fixture, query_code, status, unique

from pycloud.bench.session import Credentials, Session
from pycloud.testing.plugin import private_server_fixture

pycloud = private_server_fixture()

OWNER = ("210000000012", "AKIASQSINFLIGHTTEST1", "sqs-inflight-tests-secret", "sqs-inflight")
owner = account_fixture(*OWNER)

LIMIT = 120_000
THREADS = 4


def _calls(endpoint: str, target: str, payloads: list[dict]) -> list[dict]:
    """Each payload as one signed ``AmazonSQS.<target>`` call on a keep-alive session."""
    session = Session(endpoint, Credentials(OWNER[1], OWNER[2]))
    answers = []
    try:
        for payload in payloads:
            response = session.send("sqs", "POST", "/", headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{target}",
            }, body=json.dumps(payload).encode())
            assert response.status == 200, response.body[:300]
            answers.append(json.loads(response.body))
    finally:
        session.close()
    return answers


def _spread(endpoint: str, target: str, payloads: list[dict]) -> list[dict]:
    shares = [payloads[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        return [a for answers in pool.map(lambda share: _calls(endpoint, target, share), shares) for a in answers]


@pytest.mark.slow
def test_receive_over_the_in_flight_limit_is_over_limit(pycloud, owner):
    sqs, legacy = owner.client(), owner.query_client()
    url = sqs.create_queue(QueueName=unique(), Attributes={"VisibilityTimeout": "43200"})["QueueUrl"]
    batches = [{"QueueUrl": url, "Entries": [{"Id": str(j), "MessageBody": f"m{i}-{j}"} for j in range(10)]}
               for i in range(LIMIT // 10 + 1)]
    _spread(pycloud.endpoint, "SendMessageBatch", batches)
    received = _spread(pycloud.endpoint, "ReceiveMessage",
                       [{"QueueUrl": url, "MaxNumberOfMessages": 10}] * (LIMIT // 10))
    assert sum(len(a.get("Messages", [])) for a in received) == LIMIT

    for client in (sqs, legacy):
        err = error_of(lambda c=client: c.receive_message(QueueUrl=url, MaxNumberOfMessages=1))
        assert (query_code(err), status(err)) == ("OverLimit", 403)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessagesNotVisible"], attributes["ApproximateNumberOfMessages"]) == (
        str(LIMIT), "10")

    handle = received[0]["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1
