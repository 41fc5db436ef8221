"""SNS topics, subscriptions, attributes, tags and permissions through boto3 against a live server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from s3_helpers import code_status, error_of

ACCOUNT = ("555566667777", "AKIASNSTOPICTESTS001", "sns-topic-tests-secret", "sns-topics")
OTHER = ("555566668888", "AKIASNSTOPICOTHER001", "sns-topic-other-secret", "sns-other")


def _declare(pycloud, account: tuple[str, str, str, str]) -> None:
    pycloud.admin("POST", "/_pycloud/accounts", {"id": account[0], "access_key": account[1],
                                                 "secret_key": account[2], "name": account[3]})


@pytest.fixture(scope="module")
def sns(pycloud) -> Any:
    _declare(pycloud, ACCOUNT)
    return pycloud.client("sns", region="eu-west-2", access_key=ACCOUNT[1], secret_key=ACCOUNT[2])


@pytest.fixture(scope="module")
def other(pycloud) -> Any:
    _declare(pycloud, OTHER)
    return pycloud.client("sns", region="eu-west-2", access_key=OTHER[1], secret_key=OTHER[2])


def name(prefix: str = "topic") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- topics ----------------------------------------------------------------------------------------


def test_create_topic_is_idempotent_and_listed(sns):
    topic_name = name()
    arn = sns.create_topic(Name=topic_name)["TopicArn"]
    assert arn == f"arn:aws:sns:eu-west-2:{ACCOUNT[0]}:{topic_name}"
    assert sns.create_topic(Name=topic_name)["TopicArn"] == arn
    assert arn in [t["TopicArn"] for t in sns.get_paginator("list_topics").paginate().build_full_result()["Topics"]]


def test_create_topic_with_different_attributes_is_refused(sns):
    topic_name = name()
    sns.create_topic(Name=topic_name, Attributes={"DisplayName": "one"})
    err = error_of(sns.create_topic, Name=topic_name, Attributes={"DisplayName": "two"})
    assert code_status(err) == ("InvalidParameter", 400)
    assert "already exists with different attributes" in err.response["Error"]["Message"]


@pytest.mark.parametrize("bad", ["has space", "a" * 257, "dot.name", "x.fifo", ""])
def test_topic_name_rules(sns, bad):
    err = error_of(sns.create_topic, Name=bad)
    assert code_status(err) == ("InvalidParameter", 400)


def test_fifo_topic_needs_fifo_suffix(sns):
    err = error_of(sns.create_topic, Name=name(), Attributes={"FifoTopic": "true"})
    assert code_status(err) == ("InvalidParameter", 400)
    assert "Fifo Topic names must end with .fifo" in err.response["Error"]["Message"]
    arn = sns.create_topic(Name=name() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"


def test_content_based_dedup_only_on_fifo(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    err = error_of(sns.set_topic_attributes, TopicArn=arn, AttributeName="ContentBasedDeduplication",
                   AttributeValue="true")
    assert code_status(err) == ("InvalidParameter", 400)


def test_list_topics_paginates_by_100(sns, pycloud):
    client = pycloud.client("sns", region="ap-south-1", access_key=ACCOUNT[1], secret_key=ACCOUNT[2])
    arns = {client.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}
    first = client.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = client.list_topics(NextToken=first["NextToken"])
    assert len(second["Topics"]) == 5 and "NextToken" not in second
    assert {t["TopicArn"] for t in first["Topics"] + second["Topics"]} == arns
    assert code_status(error_of(client.list_topics, NextToken="garbage")) == ("InvalidParameter", 400)


def test_get_topic_attributes_defaults(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["TopicArn"] == arn
    assert attributes["Owner"] == ACCOUNT[0]
    assert attributes["SubscriptionsConfirmed"] == "0"
    assert attributes["SubscriptionsPending"] == "0"
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT[0]}}
    delivery = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert delivery["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attributes


def test_set_topic_attributes_validation(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attributes["DisplayName"], attributes["SignatureVersion"], attributes["TracingConfig"],
            attributes["KmsMasterKeyId"]) == ("Shown", "2", "Active", "alias/aws/sns")
    for attribute, value in [
        ("SignatureVersion", "3"),
        ("TracingConfig", "Sometimes"),
        ("FifoTopic", "true"),
        ("NoSuchAttribute", "x"),
        ("Policy", "{not json"),
        ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 500}}})),
        ("ArchivePolicy", json.dumps({"MessageRetentionPeriod": 3})),
    ]:
        err = error_of(sns.set_topic_attributes, TopicArn=arn, AttributeName=attribute, AttributeValue=value)
        assert code_status(err) == ("InvalidParameter", 400), attribute


def test_delivery_policy_becomes_effective(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    policy = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 30, "numRetries": 7,
                                                     "backoffFunction": "exponential"}}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    effective = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 7
    assert effective["http"]["defaultHealthyRetryPolicy"]["backoffFunction"] == "exponential"


def test_missing_and_malformed_topics(sns):
    missing = f"arn:aws:sns:eu-west-2:{ACCOUNT[0]}:{name('missing')}"
    assert code_status(error_of(sns.get_topic_attributes, TopicArn=missing)) == ("NotFound", 404)
    assert code_status(error_of(sns.get_topic_attributes, TopicArn="not-an-arn")) == ("InvalidParameter", 400)
    sns.delete_topic(TopicArn=missing)  # deleting an absent topic is not an error


def test_delete_topic_removes_its_subscriptions(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:q")["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    assert code_status(error_of(sns.get_topic_attributes, TopicArn=arn)) == ("NotFound", 404)
    assert code_status(error_of(sns.get_subscription_attributes, SubscriptionArn=sub)) == ("NotFound", 404)


# -- tags ------------------------------------------------------------------------------------------


def test_tags(sns):
    arn = sns.create_topic(Name=name(), Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "b", "env": "dev"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert code_status(error_of(sns.tag_resource, ResourceArn=arn, Tags=too_many)) == ("TagLimitExceeded", 400)
    missing = f"arn:aws:sns:eu-west-2:{ACCOUNT[0]}:{name('missing')}"
    assert code_status(error_of(sns.list_tags_for_resource, ResourceArn=missing)) == ("ResourceNotFound", 404)


# -- subscriptions ---------------------------------------------------------------------------------


def test_subscribe_endpoint_validation(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    cases = [
        ("http", "https://example.com/hook"),
        ("https", "http://example.com/hook"),
        ("email", "not-an-address"),
        ("sqs", "arn:aws:lambda:eu-west-2:123456789012:function:f"),
        ("lambda", "arn:aws:sqs:eu-west-2:123456789012:q"),
        ("application", "arn:aws:sns:eu-west-2:123456789012:topic"),
        ("carrier-pigeon", "coop"),
        ("sqs", f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:q.fifo"),
        ("firehose", "arn:aws:firehose:eu-west-2:123456789012:deliverystream/s"),  # no SubscriptionRoleArn
    ]
    for protocol, endpoint in cases:
        err = error_of(sns.subscribe, TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
        assert code_status(err) == ("InvalidParameter", 400), (protocol, endpoint)


def test_subscriptions_listed_and_attributes(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    queue = f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:{name('q')}"
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue,
                        Attributes={"RawMessageDelivery": "True"})["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    again = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    assert again["SubscriptionArn"] == sub
    pending = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
    assert pending["SubscriptionArn"] == "pending confirmation"
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["SubscriptionArn"]) for s in listed) == [("email", "PendingConfirmation"), ("sqs", sub)]
    assert any(s["SubscriptionArn"] == sub for s in
               sns.get_paginator("list_subscriptions").paginate().build_full_result()["Subscriptions"])
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["PendingConfirmation"] == "false"
    assert (attributes["TopicArn"], attributes["Endpoint"], attributes["Owner"]) == (arn, queue, ACCOUNT[0])
    topic_attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (topic_attributes["SubscriptionsConfirmed"], topic_attributes["SubscriptionsPending"]) == ("1", "1")


def test_subscription_attribute_validation(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:q1",
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"a": ["b"]}))
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    nested = json.dumps({"a": {"b": ["c"]}})
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    assert code_status(err) == ("InvalidParameter", 400)
    assert "does not support nested filter policy" in err.response["Error"]["Message"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                   AttributeValue="MessageAttributes")
    assert code_status(err) == ("InvalidParameter", 400)
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy",
                   AttributeValue=json.dumps({"a": [{"numeric": [">", "x"]}]}))
    assert err.response["Error"]["Message"] == "Invalid parameter: FilterPolicy: Value of > must be numeric"
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="RedrivePolicy",
                   AttributeValue=json.dumps({"deadLetterTargetArn": "nope"}))
    assert code_status(err) == ("InvalidParameter", 400)
    dlq = f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:dlq"
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="RedrivePolicy",
                   AttributeValue=json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 5}))
    assert err.response["Error"]["Message"] == "Invalid parameter: RedrivePolicy: invalid JSON. Attribute maxReceiveCount is unknown."
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="RedrivePolicy",
                   AttributeValue=json.dumps({"deadLetterTargetArn": dlq + ".fifo"}))
    assert code_status(err) == ("InvalidParameter", 400)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq}))
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq}
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    email = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="x@example.com", ReturnSubscriptionArn=True)
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=email["SubscriptionArn"],
                   AttributeName="RawMessageDelivery", AttributeValue="true")
    assert code_status(err) == ("InvalidParameter", 400)


def test_unsubscribe(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="lambda",
                        Endpoint=f"arn:aws:lambda:eu-west-2:{ACCOUNT[0]}:function:f")["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=sub)
    assert code_status(error_of(sns.unsubscribe, SubscriptionArn=sub)) == ("NotFound", 404)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsDeleted"] == "1"
    assert code_status(error_of(sns.unsubscribe, SubscriptionArn="garbage")) == ("InvalidParameter", 400)


def test_confirm_subscription_with_a_bad_token(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    err = error_of(sns.confirm_subscription, TopicArn=arn, Token="0" * 128)
    assert code_status(err) == ("InvalidParameter", 400)


# -- permissions: topic policies for other accounts -------------------------------------------------


def test_other_accounts_need_a_policy_grant(sns, other):
    arn = sns.create_topic(Name=name())["TopicArn"]
    err = error_of(other.publish, TopicArn=arn, Message="hi")
    assert code_status(err) == ("AuthorizationError", 403)
    assert code_status(error_of(other.get_topic_attributes, TopicArn=arn)) == ("AuthorizationError", 403)

    sns.add_permission(TopicArn=arn, Label="let-other-publish", AWSAccountId=[OTHER[0]], ActionName=["Publish"])
    assert other.publish(TopicArn=arn, Message="hi")["MessageId"]
    assert code_status(error_of(other.get_topic_attributes, TopicArn=arn)) == ("AuthorizationError", 403)
    err = error_of(sns.add_permission, TopicArn=arn, Label="let-other-publish", AWSAccountId=[OTHER[0]],
                   ActionName=["Publish"])
    assert code_status(err) == ("InvalidParameter", 400)

    sns.remove_permission(TopicArn=arn, Label="let-other-publish")
    assert code_status(error_of(other.publish, TopicArn=arn, Message="hi")) == ("AuthorizationError", 403)
    assert code_status(error_of(sns.remove_permission, TopicArn=arn, Label="let-other-publish")) == ("InvalidParameter", 400)


def test_explicit_deny_applies_to_the_owner_too(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "SNS:Publish", "Resource": arn},
    ]}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
    assert code_status(error_of(sns.publish, TopicArn=arn, Message="x")) == ("AuthorizationError", 403)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"] == arn


def test_policy_allowing_everyone_to_subscribe(sns, other):
    arn = sns.create_topic(Name=name())["TopicArn"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Subscribe", "SNS:Publish"], "Resource": arn},
    ]}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
    sub = other.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:eu-west-2:{OTHER[0]}:theirs")
    attributes = other.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert attributes["Owner"] == OTHER[0]
    assert any(s["SubscriptionArn"] == sub["SubscriptionArn"] for s in other.list_subscriptions()["Subscriptions"])


# -- delivery policies -------------------------------------------------------------------------------


def test_topic_delivery_policy_validation(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    valid = {"http": {
        "defaultHealthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 60, "numRetries": 20, "numNoDelayRetries": 2,
                                      "numMinDelayRetries": 3, "numMaxDelayRetries": 5, "backoffFunction": "geometric"},
        "defaultThrottlePolicy": {"maxReceivesPerSecond": 5},
        "defaultRequestPolicy": {"headerContentType": "application/json"},
        "disableSubscriptionOverrides": False,
    }}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(valid))
    assert json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DeliveryPolicy"]) == valid
    invalid = [
        {"defaultHealthyRetryPolicy": {"minDelayTarget": 0}},
        {"defaultHealthyRetryPolicy": {"maxDelayTarget": 3601}},
        {"defaultHealthyRetryPolicy": {"minDelayTarget": 30, "maxDelayTarget": 10}},
        {"defaultHealthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 3}},
        {"defaultHealthyRetryPolicy": {"backoffFunction": "cubic"}},
        {"defaultHealthyRetryPolicy": {"minDelayTarget": 60, "maxDelayTarget": 3600, "numRetries": 50}},  # > 1 hour
        {"defaultHealthyRetryPolicy": {"numRetries": "3"}},
        {"defaultThrottlePolicy": {"maxReceivesPerSecond": 0}},
        {"defaultRequestPolicy": {"headerContentType": "json"}},
        {"disableSubscriptionOverrides": "yes"},
    ]
    for section in invalid:
        err = error_of(sns.set_topic_attributes, TopicArn=arn, AttributeName="DeliveryPolicy",
                       AttributeValue=json.dumps({"http": section}))
        assert code_status(err) == ("InvalidParameter", 400), section
        assert err.response["Error"]["Message"].startswith("Invalid parameter: DeliveryPolicy"), section


def test_subscription_delivery_policy_and_overrides(sns):
    arn = sns.create_topic(Name=name())["TopicArn"]
    # A loopback port nobody listens on: the confirmation request fails locally.
    sub = sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://127.0.0.1:9/hook",
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    mine = {"healthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 2, "maxDelayTarget": 8},
            "requestPolicy": {"headerContentType": "text/html"}}
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(mine))
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    assert effective["http"]["defaultHealthyRetryPolicy"]["minDelayTarget"] == 2
    for bad in ({"healthyRetryPolicy": {"numRetries": 101}}, {"throttlePolicy": {"maxReceivesPerSecond": -1}},
                {"requestPolicy": {"headerContentType": 7}}, [1]):
        err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                       AttributeValue=json.dumps(bad))
        assert code_status(err) == ("InvalidParameter", 400), bad
    locked = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 1}, "disableSubscriptionOverrides": True}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(locked))
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 1


def test_fifo_topic_subscriptions_need_a_fifo_dead_letter_queue(sns):
    arn = sns.create_topic(Name=name() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    queue = f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:{name('q')}.fifo"
    standard_dlq = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:dlq"})
    err = error_of(sns.subscribe, TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RedrivePolicy": standard_dlq})
    assert code_status(err) == ("InvalidParameter", 400)
    assert "FIFO queue as DLQ" in err.response["Error"]["Message"]
    fifo_dlq = json.dumps({"deadLetterTargetArn": f"arn:aws:sqs:eu-west-2:{ACCOUNT[0]}:dlq.fifo"})
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue, Attributes={"RedrivePolicy": fifo_dlq})
    assert sub["SubscriptionArn"].startswith(arn + ":")
