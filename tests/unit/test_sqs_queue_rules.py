"""SQS queue rules without a server: attributes, queue URLs and ARNs, error naming."""

from __future__ import annotations

import json

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.services.sqs import attributes as attrs
from pycloud.services.sqs import errors, urls

DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


def _error(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value


# -- attributes -----------------------------------------------------------------------------------


def test_defaults_follow_the_documentation():
    standard = attrs.effective({}, fifo=False)
    assert standard == {
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
    }
    fifo = attrs.effective({}, fifo=True)
    assert fifo["FifoQueue"] == "true"
    assert fifo["ContentBasedDeduplication"] == "false"
    assert fifo["DeduplicationScope"] == "queue"
    assert fifo["FifoThroughputLimit"] == "perQueue"
    kms = attrs.effective({"KmsMasterKeyId": "alias/aws/sqs"}, fifo=False)
    assert kms["KmsDataKeyReusePeriodSeconds"] == "300"
    assert kms["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("DelaySeconds", 0, 900),
        ("MaximumMessageSize", 1024, 1_048_576),
        ("MessageRetentionPeriod", 60, 1_209_600),
        ("ReceiveMessageWaitTimeSeconds", 0, 20),
        ("VisibilityTimeout", 0, 43_200),
        ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
    ],
)
def test_integer_ranges(name, low, high):
    assert attrs.validate({name: str(low)}, fifo=False, creating=True) == {name: str(low)}
    assert attrs.validate({name: str(high)}, fifo=False, creating=True) == {name: str(high)}
    for bad in (str(low - 1), str(high + 1), "abc", "1.5", ""):
        assert _error(attrs.validate, {name: bad}, fifo=False, creating=True).code == "InvalidAttributeValue"


def test_attribute_names():
    assert _error(attrs.validate, {"Nope": "1"}, fifo=False, creating=True).code == "InvalidAttributeName"
    assert _error(attrs.validate, {"QueueArn": "x"}, fifo=False, creating=False).code == "InvalidAttributeName"
    # FIFO-only attributes do not exist on standard queues; FifoQueue only at creation.
    for name, value in (("ContentBasedDeduplication", "true"), ("DeduplicationScope", "queue"),
                        ("FifoThroughputLimit", "perQueue")):
        assert _error(attrs.validate, {name: value}, fifo=False, creating=True).code == "InvalidAttributeName"
        assert attrs.validate({name: value}, fifo=True, creating=True) == {name: value}
    assert attrs.validate({"FifoQueue": "false"}, fifo=False, creating=True) == {}
    assert attrs.validate({"FifoQueue": "TRUE"}, fifo=True, creating=True) == {"FifoQueue": "true"}
    assert _error(attrs.validate, {"FifoQueue": "true"}, fifo=True, creating=False).code == "InvalidAttributeName"
    assert _error(attrs.validate, {"DeduplicationScope": "all"}, fifo=True, creating=True).code == (
        "InvalidAttributeValue"
    )


def test_high_throughput_needs_message_group_dedup_scope():
    with pytest.raises(ServiceError) as info:
        attrs.merge({}, {"FifoThroughputLimit": "perMessageGroupId"}, fifo=True)
    assert info.value.code == "InvalidAttributeValue"
    merged = attrs.merge({}, {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"},
                         fifo=True)
    assert merged["FifoThroughputLimit"] == "perMessageGroupId"


def test_encryption_settings_exclude_each_other():
    merged = attrs.merge({}, {"KmsMasterKeyId": "alias/mine"}, fifo=False)
    assert merged["SqsManagedSseEnabled"] == "false"
    back = attrs.merge(merged, {"SqsManagedSseEnabled": "true"}, fifo=False)
    assert "KmsMasterKeyId" not in back and back["SqsManagedSseEnabled"] == "true"
    both = {"KmsMasterKeyId": "alias/mine", "SqsManagedSseEnabled": "true"}
    assert _error(attrs.validate, both, fifo=False, creating=True).code == "InvalidAttributeValue"


def test_empty_text_attribute_removes_it():
    stored = attrs.merge({}, {"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ, "maxReceiveCount": 3})},
                         fifo=False)
    assert json.loads(stored["RedrivePolicy"]) == {"deadLetterTargetArn": DLQ, "maxReceiveCount": 3}
    cleared = attrs.merge(stored, attrs.validate({"RedrivePolicy": ""}, fifo=False, creating=False), fifo=False)
    assert "RedrivePolicy" not in cleared


def test_redrive_policy_forms():
    # maxReceiveCount may arrive as a string; it is returned as a number.
    text = attrs.validate({"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ, "maxReceiveCount": "5"})},
                          fifo=False, creating=True)["RedrivePolicy"]
    assert json.loads(text) == {"deadLetterTargetArn": DLQ, "maxReceiveCount": 5}
    for bad in ("not json", "[]", json.dumps({"deadLetterTargetArn": DLQ, "maxReceiveCount": 0}),
                json.dumps({"deadLetterTargetArn": DLQ, "maxReceiveCount": 1001}),
                json.dumps({"deadLetterTargetArn": "arn:aws:sns:us-east-1:123456789012:t", "maxReceiveCount": 1}),
                json.dumps({"maxReceiveCount": 1})):
        assert _error(attrs.validate, {"RedrivePolicy": bad}, fifo=False, creating=True).code == (
            "InvalidParameterValue"
        )


def test_redrive_allow_policy():
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:a"]}
    text = attrs.validate({"RedriveAllowPolicy": json.dumps(allow)}, fifo=False, creating=True)["RedriveAllowPolicy"]
    assert attrs.redrive_allows(text, "arn:aws:sqs:us-east-1:123456789012:a")
    assert not attrs.redrive_allows(text, "arn:aws:sqs:us-east-1:123456789012:b")
    assert not attrs.redrive_allows('{"redrivePermission":"denyAll"}', "arn:aws:sqs:us-east-1:123456789012:a")
    assert attrs.redrive_allows(None, "anything")
    for bad in ({"redrivePermission": "byQueue"}, {"redrivePermission": "maybe"},
                {"redrivePermission": "allowAll", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:a"]},
                {"redrivePermission": "byQueue", "sourceQueueArns": [f"arn:aws:sqs:us-east-1:1:q{i}" for i in range(11)]}):
        assert _error(attrs.validate, {"RedriveAllowPolicy": json.dumps(bad)}, fifo=False, creating=True).code == (
            "InvalidParameterValue"
        )


def test_policy_is_validated_by_the_policy_engine():
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]})
    assert attrs.validate({"Policy": policy}, fifo=False, creating=True) == {"Policy": policy}
    for bad in ("{", json.dumps({"Statement": [{"Effect": "Maybe"}]})):
        assert _error(attrs.validate, {"Policy": bad}, fifo=False, creating=True).code == "InvalidAttributeValue"


def test_requested_names():
    assert attrs.requested_names(None) == []
    assert attrs.requested_names(["All"]) == list(attrs.ORDER)
    assert attrs.requested_names(["QueueArn", "QueueArn", "DelaySeconds"]) == ["QueueArn", "DelaySeconds"]
    assert _error(attrs.requested_names, ["Bogus"]).code == "InvalidAttributeName"


def test_differing_attribute_for_create_idempotency():
    current = attrs.effective({"VisibilityTimeout": "60"}, fifo=False)
    assert attrs.differing({"VisibilityTimeout": "60"}, current) is None
    assert attrs.differing({}, current) is None
    assert attrs.differing({"VisibilityTimeout": "30"}, current) == "VisibilityTimeout"


# -- URLs and ARNs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("http://localhost:4566/123456789012/q", "us-west-2"),
        ("http://127.0.0.1:9999/123456789012/q/", "us-west-2"),
        ("http://sqs.eu-west-1.localhost:4566/123456789012/q", "eu-west-1"),
        ("https://sqs.ap-southeast-2.amazonaws.com/123456789012/q", "ap-southeast-2"),
        ("https://eu-central-1.queue.amazonaws.com/123456789012/q", "eu-central-1"),
    ],
)
def test_queue_url_forms(url, region):
    assert urls.parse_queue_url(url, "us-west-2") == urls.QueueRef("123456789012", region, "q")


def test_bad_queue_urls():
    assert _error(urls.parse_queue_url, "just-a-name", "us-east-1").code == "InvalidAddress"
    assert _error(urls.parse_queue_url, "http://localhost:4566/notanaccount/q", "us-east-1").code == (
        "QueueDoesNotExist"
    )
    assert _error(urls.parse_queue_url, "http://localhost:4566/123456789012/q/extra", "us-east-1").code == (
        "QueueDoesNotExist"
    )


def test_queue_arns_and_names():
    assert urls.queue_arn("us-east-1", "123456789012", "q") == "arn:aws:sqs:us-east-1:123456789012:q"
    assert urls.parse_queue_arn("arn:aws:sqs:us-east-1:123456789012:q") == urls.QueueRef("123456789012",
                                                                                         "us-east-1", "q")
    assert urls.parse_queue_arn("arn:aws:sns:us-east-1:123456789012:q") is None
    assert urls.parse_queue_arn("nope") is None
    assert urls.valid_queue_name("a-b_C9", fifo=False)
    assert not urls.valid_queue_name("a.fifo", fifo=False)
    assert urls.valid_queue_name("a.fifo", fifo=True)
    assert not urls.valid_queue_name("a", fifo=True)
    assert not urls.valid_queue_name("x" * 81, fifo=False)
    assert urls.valid_queue_name("x" * 75 + ".fifo", fifo=True)
    assert not urls.valid_queue_name("x" * 76 + ".fifo", fifo=True)


def test_errors_carry_their_legacy_query_code():
    err = errors.queue_does_not_exist()
    assert (err.code, err.status) == ("QueueDoesNotExist", 400)
    assert err.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    purge = errors.sqs_error("PurgeQueueInProgress", "x")
    assert purge.status == 403
    assert purge.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.PurgeQueueInProgress;Sender"
    assert errors.sqs_error("QueueNameExists", "x").headers["x-amzn-query-error"] == "QueueAlreadyExists;Sender"
    assert errors.invalid_parameter("x").headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
