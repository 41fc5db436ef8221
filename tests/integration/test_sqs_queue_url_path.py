"""Older query SDKs post to the queue's own URL and leave QueueUrl out of the form."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def _post_form(queue_url: str, form: dict[str, str]) -> urllib3.BaseHTTPResponse:
    request = AWSRequest(method="POST", url=queue_url, data=urlencode(form), headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    parts = urlsplit(queue_url)
    return urllib3.PoolManager().request("POST", queue_url, body=request.body,
                                         headers={**dict(request.headers), "Host": parts.netloc})


def test_send_and_receive_posted_to_the_queue_url(pycloud):
    sqs = pycloud.client("sqs")
    for name in (f"legacy-{uuid.uuid4().hex[:8]}", f"legacy-{uuid.uuid4().hex[:8]}.fifo"):
        fifo = name.endswith(".fifo")
        attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        form = {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "from an old SDK"}
        if fifo:
            form["MessageGroupId"] = "g"
        answer = _post_form(url, form)
        assert answer.status == 200, answer.data
        assert b"<MessageId>" in answer.data
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in messages] == ["from an old SDK"]


def test_an_explicit_queue_url_wins_and_other_actions_are_unaffected(pycloud):
    sqs = pycloud.client("sqs")
    first = sqs.create_queue(QueueName=f"legacy-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    second = sqs.create_queue(QueueName=f"legacy-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    answer = _post_form(first, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "to second",
                                "QueueUrl": second})
    assert answer.status == 200, answer.data
    assert "Messages" not in sqs.receive_message(QueueUrl=first)
    assert sqs.receive_message(QueueUrl=second)["Messages"][0]["Body"] == "to second"
    listed = _post_form(first, {"Action": "ListQueues", "Version": "2012-11-05"})
    assert listed.status == 200 and second.encode() in listed.data
