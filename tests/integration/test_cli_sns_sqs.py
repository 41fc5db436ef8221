"""SQS and SNS → SQS through the AWS CLI (`python -m awscli`) against a live server.

The CLI's botocore speaks SQS's JSON protocol (AmazonSQS.* targets) and SNS's query protocol; the
SQS query protocol is covered by tests/integration/test_sqs_*.py with a query-pinned client.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import uuid

import pytest
from aws_cli import aws_json, run_aws_cli
from sns_helpers import verify_signature

# Looked up, not imported: importing awscli into the test process would change how botocore parses
# timestamps for every later test.
if importlib.util.find_spec("awscli") is None:
    pytest.skip("the AWS CLI (awscli) is not installed", allow_module_level=True)

REGION = "eu-central-1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def aws(pycloud):
    """``aws(*args)``: the CLI's parsed JSON output, in this module's region."""

    def run(*args: str) -> object:
        return aws_json(pycloud.endpoint, *args, region=REGION)

    return run


def _queue_arn(aws, url: str) -> str:
    return aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn")["Attributes"]["QueueArn"]


def _receive_one(aws, url: str) -> dict:
    got = aws("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
              "--message-attribute-names", "All")
    assert got is not None and len(got["Messages"]) == 1, got
    message = got["Messages"][0]
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", message["ReceiptHandle"])
    return message


def test_the_cli_speaks_json_to_sqs(pycloud):
    done = run_aws_cli(pycloud.endpoint, "sqs", "list-queues", region=REGION, debug=True)
    assert done.returncode == 0, done.stderr
    assert "AmazonSQS.ListQueues" in done.stderr
    assert "application/x-amz-json-1.0" in done.stderr


def test_sqs_queue_and_message_lifecycle(pycloud, aws):
    name = unique("cli")
    url = aws("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=45")["QueueUrl"]
    assert url.endswith("/" + name)
    assert aws("sqs", "get-queue-url", "--queue-name", name)["QueueUrl"] == url
    attributes = aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["QueueArn"].endswith(":" + name)

    sent = aws("sqs", "send-message", "--queue-url", url, "--message-body", "hello from the cli",
               "--message-attributes", json.dumps({"kind": {"DataType": "String", "StringValue": "greeting"}}))
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello from the cli").hexdigest()
    assert sent["MessageId"] and sent["MD5OfMessageAttributes"]
    counted = aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "ApproximateNumberOfMessages")
    assert counted["Attributes"]["ApproximateNumberOfMessages"] == "1"

    got = aws("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", "All",
              "--attribute-names", "All")["Messages"]
    assert [m["Body"] for m in got] == ["hello from the cli"]
    assert got[0]["MessageId"] == sent["MessageId"]
    assert got[0]["MessageAttributes"] == {"kind": {"StringValue": "greeting", "DataType": "String"}}
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert aws("sqs", "receive-message", "--queue-url", url) is None  # in flight for 45 s
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"])
    counted = aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                  "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")["Attributes"]
    assert counted == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

    aws("sqs", "delete-queue", "--queue-url", url)
    missing = run_aws_cli(pycloud.endpoint, "sqs", "get-queue-url", "--queue-name", name, region=REGION)
    assert missing.returncode != 0
    assert "QueueDoesNotExist" in missing.stderr or "NonExistentQueue" in missing.stderr


def test_sns_publish_reaches_an_sqs_subscriber(pycloud, aws):
    topic = aws("sns", "create-topic", "--name", unique("cli-topic"))["TopicArn"]
    assert topic.startswith(f"arn:aws:sns:{REGION}:")
    url = aws("sqs", "create-queue", "--queue-name", unique("cli-sub"))["QueueUrl"]
    queue = _queue_arn(aws, url)
    sub = aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queue)
    assert sub["SubscriptionArn"].startswith(topic + ":")
    listed = aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in listed] == [("sqs", queue)]

    published = aws("sns", "publish", "--topic-arn", topic, "--subject", "From the CLI", "--message", "hello queue",
                    "--message-attributes", json.dumps({"color": {"DataType": "String", "StringValue": "red"}}))
    message = _receive_one(aws, url)
    note = json.loads(message["Body"])
    assert (note["Type"], note["MessageId"], note["TopicArn"]) == ("Notification", published["MessageId"], topic)
    assert (note["Subject"], note["Message"]) == ("From the CLI", "hello queue")
    assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    assert note["UnsubscribeURL"].startswith(pycloud.endpoint)
    verify_signature(note)

    aws("sns", "set-subscription-attributes", "--subscription-arn", sub["SubscriptionArn"],
        "--attribute-name", "RawMessageDelivery", "--attribute-value", "true")
    aws("sns", "publish", "--topic-arn", topic, "--message", "raw this time",
        "--message-attributes", json.dumps({"n": {"DataType": "Number", "StringValue": "42"}}))
    raw = _receive_one(aws, url)
    assert raw["Body"] == "raw this time"
    assert raw["MessageAttributes"] == {"n": {"StringValue": "42", "DataType": "Number"}}

    aws("sns", "unsubscribe", "--subscription-arn", sub["SubscriptionArn"])
    aws("sns", "publish", "--topic-arn", topic, "--message", "nobody subscribed")
    assert aws("sqs", "receive-message", "--queue-url", url) is None


def test_fifo_topic_to_fifo_queue_with_the_cli(aws):
    topic = aws("sns", "create-topic", "--name", unique("cli") + ".fifo",
                "--attributes", "FifoTopic=true,ContentBasedDeduplication=true")["TopicArn"]
    url = aws("sqs", "create-queue", "--queue-name", unique("cli") + ".fifo", "--attributes", "FifoQueue=true")["QueueUrl"]
    aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", _queue_arn(aws, url),
        "--attributes", "RawMessageDelivery=true")
    sequence = [aws("sns", "publish", "--topic-arn", topic, "--message", body, "--message-group-id", "orders")
                for body in ("first", "second", "first")]  # the third is a duplicate by content
    assert sequence[2]["MessageId"] == sequence[0]["MessageId"]
    assert int(sequence[1]["SequenceNumber"]) > int(sequence[0]["SequenceNumber"])
    got = aws("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
              "--attribute-names", "All")["Messages"]
    assert [m["Body"] for m in got] == ["first", "second"]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"orders"}


def test_cli_sees_aws_errors(pycloud, aws):
    topic = aws("sns", "create-topic", "--name", unique("cli-errors"))["TopicArn"]
    missing = run_aws_cli(pycloud.endpoint, "sns", "publish", "--topic-arn", topic + "-gone", "--message", "x",
                          region=REGION)
    assert missing.returncode != 0 and "NotFound" in missing.stderr
    twice = json.dumps([{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}])
    duplicate = run_aws_cli(pycloud.endpoint, "sns", "publish-batch", "--topic-arn", topic,
                            "--publish-batch-request-entries", twice, region=REGION)
    assert duplicate.returncode != 0 and "BatchEntryIdsNotDistinct" in duplicate.stderr
    batch = aws("sns", "publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
                json.dumps([{"Id": "one", "Message": "a"}, {"Id": "two", "Message": ""}]))
    assert [e["Id"] for e in batch["Successful"]] == ["one"]
    assert [(e["Id"], e["Code"]) for e in batch["Failed"]] == [("two", "InvalidParameter")]
