"""SNS publishing and delivery: HTTP endpoints, the outbox, and SQS/Lambda deliveries on the bus."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from in_process import app_client, ephemeral_app, serving
from s3_helpers import code_status, error_of
from sns_helpers import verify_signature

from pycloud.events import LAMBDA_INVOKE_TOPIC, SQS_DELIVERY_TOPIC, LambdaInvocation, SqsDelivery
from pycloud.testing.plugin import private_server_fixture

# Delivery retries advance the virtual clock: a server of this module's own keeps others' signatures valid.
pycloud = private_server_fixture()

ACCOUNT = "000000000000"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``condition()`` is truthy (deliveries run in the background); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail("condition not met in time")


class Endpoint:
    """A tiny HTTP subscriber: records every POST and answers with the next scripted status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = owner.statuses.pop(0) if owner.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def json(self, index: int) -> dict:
        return json.loads(self.requests[index][1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    made: list[Endpoint] = []

    def make(statuses: list[int] | None = None) -> Endpoint:
        made.append(Endpoint(statuses))
        return made[-1]

    yield make
    for e in made:
        e.close()


@pytest.fixture(scope="module")
def sns(pycloud):
    return pycloud.client("sns", region="us-west-2")


def _confirmed_http_subscription(sns, topic: str, receiver: Endpoint, **attributes: str) -> str:
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url,
                         Attributes=attributes)["SubscriptionArn"] == "pending confirmation"
    wait_for(lambda: receiver.requests)
    confirmation = receiver.json(0)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as response:  # unsigned, as a subscriber does
        assert response.status == 200
        assert b"<SubscriptionArn>" in response.read()
    return next(s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                if s["Endpoint"] == receiver.url)


# -- HTTP endpoints --------------------------------------------------------------------------------


def test_http_confirmation_and_signed_notification(sns, endpoint):
    topic = sns.create_topic(Name=unique(), Attributes={"SignatureVersion": "2"})["TopicArn"]
    receiver = endpoint()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    wait_for(lambda: receiver.requests)
    headers, _ = receiver.requests[0]
    confirmation = receiver.json(0)
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-message-id"] == confirmation["MessageId"]
    assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == topic
    assert confirmation["Token"] and "Action=ConfirmSubscription" in confirmation["SubscribeURL"]
    verify_signature(confirmation)
    pending = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert pending[0]["SubscriptionArn"] == "PendingConfirmation"

    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=10) as response:
        assert response.status == 200
    sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"

    published = sns.publish(TopicArn=topic, Message="hello http", Subject="Greeting",
                            MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    wait_for(lambda: len(receiver.requests) == 2)
    headers, _ = receiver.requests[1]
    note = receiver.json(1)
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == published["MessageId"] == note["MessageId"]
    assert headers["x-amz-sns-subscription-arn"] == sub
    assert headers["content-type"].startswith("text/plain")
    assert (note["Message"], note["Subject"], note["SignatureVersion"]) == ("hello http", "Greeting", "2")
    assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    verify_signature(note)

    with urllib.request.urlopen(note["UnsubscribeURL"], timeout=10) as response:  # unsigned as well
        assert response.status == 200
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_http_raw_delivery(sns, endpoint):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint()
    _confirmed_http_subscription(sns, topic, receiver, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="just the text")
    wait_for(lambda: len(receiver.requests) == 2)
    headers, body = receiver.requests[1]
    assert body == b"just the text"
    assert headers["x-amz-sns-rawdelivery"] == "true"


def test_http_retries_follow_the_virtual_clock(sns, endpoint, pycloud):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint([200, 500, 503])  # the confirmation succeeds; two failures, then success
    _confirmed_http_subscription(sns, topic, receiver)
    sns.publish(TopicArn=topic, Message="try again")
    wait_for(lambda: len(receiver.requests) == 2)
    time.sleep(0.3)
    assert len(receiver.requests) == 2  # the next attempt waits 20 s (the default policy) of virtual time
    pycloud.advance_clock(20)
    wait_for(lambda: len(receiver.requests) == 3)
    pycloud.advance_clock(20)
    wait_for(lambda: len(receiver.requests) == 4)
    ids = {receiver.requests[i][0]["x-amz-sns-message-id"] for i in (1, 2, 3)}
    assert len(ids) == 1
    pycloud.advance_clock(20)
    time.sleep(0.3)
    assert len(receiver.requests) == 4  # delivered: no more attempts


def test_http_client_errors_are_not_retried(sns, endpoint, pycloud):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint([200, 404])
    _confirmed_http_subscription(sns, topic, receiver)
    sns.publish(TopicArn=topic, Message="nobody home")
    wait_for(lambda: len(receiver.requests) == 2)
    pycloud.advance_clock(60)
    time.sleep(0.3)
    assert len(receiver.requests) == 2


def test_pending_http_subscription_gets_nothing(sns, endpoint):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint()
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    wait_for(lambda: receiver.requests)
    sns.publish(TopicArn=topic, Message="not yet")
    time.sleep(0.3)
    assert len(receiver.requests) == 1


def test_unsubscribe_sends_an_unsubscribe_confirmation_that_can_restore(sns, endpoint):
    topic = sns.create_topic(Name=unique(), Attributes={"SignatureVersion": "2"})["TopicArn"]
    receiver = endpoint()
    sub = _confirmed_http_subscription(sns, topic, receiver)
    sns.unsubscribe(SubscriptionArn=sub)
    wait_for(lambda: len(receiver.requests) == 2)
    headers, _ = receiver.requests[1]
    goodbye = receiver.json(1)
    assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert headers["x-amz-sns-message-id"] == goodbye["MessageId"]
    assert (headers["x-amz-sns-topic-arn"], headers["x-amz-sns-subscription-arn"]) == (topic, sub)
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert goodbye["Type"] == "UnsubscribeConfirmation" and goodbye["TopicArn"] == topic
    assert goodbye["Message"].startswith(f"You have chosen to deactivate subscription {sub}.\n")
    assert goodbye["Token"] and "Action=ConfirmSubscription" in goodbye["SubscribeURL"]
    assert goodbye["Token"] != receiver.json(0)["Token"]
    assert goodbye["SignatureVersion"] == "2"
    verify_signature(goodbye)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []

    sns.publish(TopicArn=topic, Message="while away")
    time.sleep(0.3)
    assert len(receiver.requests) == 2

    with urllib.request.urlopen(goodbye["SubscribeURL"], timeout=10) as response:  # restores, unsigned
        assert response.status == 200
        assert sub.encode() in response.read()
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]
    sns.publish(TopicArn=topic, Message="welcome back")
    wait_for(lambda: len(receiver.requests) == 3)
    assert receiver.json(2)["Message"] == "welcome back"
    # Visiting the link again changes nothing, as for a subscription confirmed twice.
    assert sns.confirm_subscription(TopicArn=topic, Token=goodbye["Token"])["SubscriptionArn"] == sub
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1


def test_unsubscribe_confirmation_token_expires_after_three_days(sns, endpoint, pycloud):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint()
    sub = _confirmed_http_subscription(sns, topic, receiver)
    sns.unsubscribe(SubscriptionArn=sub)
    wait_for(lambda: len(receiver.requests) == 2)
    pycloud.advance_clock(3 * 24 * 3600 + 1)
    err = error_of(sns.confirm_subscription, TopicArn=topic, Token=receiver.json(1)["Token"])
    assert code_status(err) == ("InvalidParameter", 400)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_delete_topic_sends_unsubscribe_confirmations_to_confirmed_endpoints(sns, endpoint):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    first, second, pending = endpoint(), endpoint(), endpoint()
    subs = {_confirmed_http_subscription(sns, topic, first), _confirmed_http_subscription(sns, topic, second)}
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=pending.url)
    wait_for(lambda: pending.requests)
    sns.delete_topic(TopicArn=topic)
    wait_for(lambda: len(first.requests) == 2 and len(second.requests) == 2)
    goodbyes = [first.requests[1], second.requests[1]]
    assert {h["x-amz-sns-message-type"] for h, _ in goodbyes} == {"UnsubscribeConfirmation"}
    assert {h["x-amz-sns-subscription-arn"] for h, _ in goodbyes} == subs
    verify_signature(first.json(1))
    time.sleep(0.3)
    assert len(pending.requests) == 1  # a pending subscription is dropped silently
    # The topic is gone, so there is nothing to restore.
    assert code_status(error_of(sns.confirm_subscription, TopicArn=topic, Token=first.json(1)["Token"])) == ("NotFound", 404)


def test_email_unsubscribe_sends_nothing(sns, pycloud):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    address = f"{unique('bye')}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    token = _outbox(pycloud, endpoint=address)[0]["token"]
    sub = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=sub)
    assert [m["type"] for m in _outbox(pycloud, endpoint=address)] == ["SubscriptionConfirmation"]


def test_delivery_policy_phases_content_type_and_dead_letter_queue(sns, endpoint, pycloud):
    sqs = pycloud.client("sqs", region="us-west-2")
    dlq_url = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint([200, 500, 503, 500, 502])  # the confirmation, then nothing but server errors
    policy = {"healthyRetryPolicy": {"numRetries": 3, "numNoDelayRetries": 1, "minDelayTarget": 5, "maxDelayTarget": 5},
              "requestPolicy": {"headerContentType": "application/json"}}
    sub = _confirmed_http_subscription(sns, topic, receiver, DeliveryPolicy=json.dumps(policy),
                                       RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    effective = json.loads(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numNoDelayRetries"] == 1
    published = sns.publish(TopicArn=topic, Message="will not arrive")
    wait_for(lambda: len(receiver.requests) == 3)  # the first attempt and the no-delay retry
    time.sleep(0.3)
    assert len(receiver.requests) == 3
    assert receiver.requests[1][0]["content-type"] == "application/json"
    assert sqs.receive_message(QueueUrl=dlq_url).get("Messages") is None  # not yet: retries remain
    pycloud.advance_clock(5)
    wait_for(lambda: len(receiver.requests) == 4)
    pycloud.advance_clock(5)
    wait_for(lambda: len(receiver.requests) == 5)

    def dead_lettered() -> list:
        return sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"]).get("Messages") or []

    [message] = wait_for(dead_lettered)
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "EndpointUnavailable"
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "The endpoint answered HTTP 502."
    note = json.loads(message["Body"])
    assert (note["Type"], note["MessageId"], note["Message"]) == ("Notification", published["MessageId"], "will not arrive")
    verify_signature(note)


def test_http_client_errors_end_the_delivery_without_dead_letter(sns, endpoint, pycloud):
    sqs = pycloud.client("sqs", region="us-west-2")
    dlq_url = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name=unique())["TopicArn"]
    receiver = endpoint([200, 429])
    _confirmed_http_subscription(sns, topic, receiver, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    sns.publish(TopicArn=topic, Message="slow down")
    wait_for(lambda: len(receiver.requests) == 2)
    pycloud.advance_clock(60)
    time.sleep(0.3)
    assert len(receiver.requests) == 2  # 200-499 is not a failure SNS retries
    assert sqs.receive_message(QueueUrl=dlq_url).get("Messages") is None


# -- the outbox (email, email-json, sms) ------------------------------------------------------------


def _outbox(pycloud, **match: Any) -> list[dict]:
    messages = pycloud.admin("GET", "/_pycloud/sns/outbox")["messages"]
    return [m for m in messages if all(m.get(k) == v for k, v in match.items())]


def test_email_confirmation_and_notifications_in_the_outbox(sns, pycloud):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    address = f"{unique('user')}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    json_address = f"{unique('json')}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint=json_address)
    confirmations = _outbox(pycloud, topic_arn=topic, type="SubscriptionConfirmation")
    assert sorted(c["protocol"] for c in confirmations) == ["email", "email-json"]
    for confirmation in confirmations:
        assert confirmation["subscribe_url"] in confirmation["message"]
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["token"])

    structured = json.dumps({"default": "plain for all", "email": "for email readers"})
    sns.publish(TopicArn=topic, Message=structured, MessageStructure="json", Subject="News")
    email = _outbox(pycloud, endpoint=address, type="Notification")
    assert [(m["message"], m["subject"]) for m in email] == [("for email readers", "News")]
    as_json = json.loads(_outbox(pycloud, endpoint=json_address, type="Notification")[0]["message"])
    assert as_json["Message"] == "plain for all" and as_json["Type"] == "Notification"
    verify_signature(as_json)


def test_sms_publish_and_clearing_the_outbox(sns, pycloud):
    result = sns.publish(PhoneNumber="+15555550123", Message="your code is 1234")
    sent = _outbox(pycloud, message_id=result["MessageId"])
    assert sent and sent[0]["protocol"] == "sms" and sent[0]["message"] == "your code is 1234"
    request = urllib.request.Request(pycloud.endpoint + "/_pycloud/sns/outbox", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert pycloud.admin("GET", "/_pycloud/sns/outbox")["messages"] == []
    assert code_status(error_of(sns.publish, PhoneNumber="12ab", Message="x")) == ("InvalidParameter", 400)


# -- publish validation ----------------------------------------------------------------------------


def test_publish_validation(sns):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    checks = [
        ({"Message": ""}, ("InvalidParameter", 400)),
        ({"Message": "x", "Subject": "line\nbreak"}, ("InvalidParameter", 400)),
        ({"Message": "x", "Subject": "s" * 101}, ("InvalidParameter", 400)),
        ({"Message": "{}", "MessageStructure": "json"}, ("InvalidParameter", 400)),
        ({"Message": "not json", "MessageStructure": "json"}, ("InvalidParameter", 400)),
        ({"Message": "x", "MessageStructure": "xml"}, ("InvalidParameter", 400)),
        ({"Message": "x" * (256 * 1024 + 1)}, ("InvalidParameter", 400)),
        ({"Message": "x", "MessageDeduplicationId": "d"}, ("InvalidParameter", 400)),
        ({"Message": "x" * (256 * 1024 - 8), "MessageAttributes": {"size": {"DataType": "String", "StringValue": "v"}}},
         ("InvalidParameter", 400)),  # the attribute's name, type and value count towards the 256 KiB
        ({"Message": "x", "MessageAttributes": {"a": {"DataType": "Float", "StringValue": "1"}}}, ("ParameterValueInvalid", 400)),
        ({"Message": "x", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "one"}}}, ("ParameterValueInvalid", 400)),
        ({"Message": "x", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}}, ("ParameterValueInvalid", 400)),
        ({"Message": "x", "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}}}, ("ParameterValueInvalid", 400)),
        ({"Message": "x", "MessageAttributes": {"a": {"DataType": "String.Array", "StringValue": "[{}]"}}}, ("ParameterValueInvalid", 400)),
    ]
    for params, expected in checks:
        assert code_status(error_of(sns.publish, TopicArn=topic, **params)) == expected, params
    err = error_of(sns.publish, TopicArn=topic, Message="{}", MessageStructure="json")
    assert err.response["Error"]["Message"] == "Invalid parameter: Message Structure - No default entry in JSON message body"
    missing = topic + "-missing"
    assert code_status(error_of(sns.publish, TopicArn=missing, Message="x")) == ("NotFound", 404)
    assert code_status(error_of(sns.publish, Message="x")) == ("InvalidParameter", 400)
    assert code_status(error_of(sns.publish, TopicArn=topic, PhoneNumber="+15555550123", Message="x")) == ("InvalidParameter", 400)
    assert sns.publish(TargetArn=topic, Message="target arn works too")["MessageId"]
    assert sns.publish(TopicArn=topic, Message="x" * (256 * 1024))["MessageId"]
    err = error_of(sns.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1))
    assert err.response["Error"]["Message"] == "Invalid parameter: Message too long"
    many = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    assert sns.publish(TopicArn=topic, Message="more than ten attributes", MessageAttributes=many)["MessageId"]
    err = error_of(sns.publish, TopicArn=topic, Message="x", MessageAttributes={"a": {"DataType": "Float", "StringValue": "1"}})
    assert err.response["Error"]["Message"] == (
        "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is "
        "Binary, Number, and String."
    )


def test_fifo_publish_rules(sns):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    err = error_of(sns.publish, TopicArn=topic, Message="x", MessageDeduplicationId="d")
    assert err.response["Error"]["Message"] == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    err = error_of(sns.publish, TopicArn=topic, Message="x", MessageGroupId="g")
    assert "ContentBasedDeduplication" in err.response["Error"]["Message"]
    first = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1")
    second = sns.publish(TopicArn=topic, Message="y", MessageGroupId="g", MessageDeduplicationId="d2")
    assert len(first["SequenceNumber"]) == 20 and int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    again = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    err = error_of(sns.subscribe, TopicArn=topic, Protocol="email", Endpoint="a@example.com")
    assert code_status(err) == ("InvalidParameter", 400)


def test_publish_batch(sns):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok-1", "Message": "one"},
        {"Id": "bad", "Message": ""},
        {"Id": "ok_2", "Message": "two", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "3"}}},
    ])
    assert [e["Id"] for e in result["Successful"]] == ["ok-1", "ok_2"]
    assert all(e["MessageId"] for e in result["Successful"])
    assert result["Failed"] == [{"Id": "bad", "Code": "InvalidParameter", "Message": "Invalid parameter: Empty message",
                                 "SenderFault": True}]
    cases = [
        ([], "EmptyBatchRequest"),
        ([{"Id": f"e{i}", "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "no spaces", "Message": "a"}], "InvalidBatchEntryId"),
        ([{"Id": "a", "Message": "x" * 200_000}, {"Id": "b", "Message": "x" * 100_000}], "BatchRequestTooLong"),
        ([{"Id": "a", "Message": "x" * (256 * 1024 - 4)},
          {"Id": "b", "Message": "x", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}],
         "BatchRequestTooLong"),  # attributes count towards the batch's size
    ]
    for entries, code in cases:
        assert code_status(error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries)) == (code, 400)


# -- SQS and Lambda deliveries on the event bus (in-process app) -----------------------------------


@pytest.fixture
def live():
    """The real app on a loop thread of this process; yields (sns client, deliveries, ack codes, app)."""
    app = ephemeral_app()
    deliveries: list[SqsDelivery] = []
    refuse: dict[str, str] = {}  # queue ARN → the error code this stand-in for SQS answers

    def receive(event: SqsDelivery) -> None:
        deliveries.append(event)
        assert event.ack is not None
        event.ack(refuse.get(event.queue_arn))

    app.runtime.events.subscribe(SQS_DELIVERY_TOPIC, receive)
    with serving(app) as endpoint:
        yield app_client(endpoint, "sns"), deliveries, refuse, app


QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q1"


def test_sqs_delivery_envelope(live):
    sns, deliveries, _, _ = live
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    published = sns.publish(TopicArn=topic, Message="order placed", Subject="Orders",
                            MessageAttributes={"kind": {"DataType": "String", "StringValue": "new"}})
    assert len(deliveries) == 1
    event = deliveries[0]
    assert (event.queue_arn, event.topic_arn, event.subscription_arn) == (QUEUE, topic, sub)
    assert event.message_attributes == {} and event.group_id is None and event.dedup_id is None
    note = json.loads(event.body)
    assert note["MessageId"] == published["MessageId"]
    assert (note["Type"], note["Message"], note["Subject"], note["TopicArn"]) == ("Notification", "order placed", "Orders", topic)
    assert note["MessageAttributes"] == {"kind": {"Type": "String", "Value": "new"}}
    verify_signature(note)


def test_sqs_raw_delivery_carries_message_attributes(live):
    sns, deliveries, _, _ = live
    topic = sns.create_topic(Name="raw")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="raw body", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })
    assert [d.body for d in deliveries] == ["raw body"]
    assert deliveries[0].message_attributes == {
        "s": {"DataType": "String", "StringValue": "v"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }


def test_filter_policies_select_subscriptions(live):
    sns, deliveries, _, _ = live
    topic = sns.create_topic(Name="filtered")["TopicArn"]
    red = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:red"
    big = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:big"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=red,
                  Attributes={"FilterPolicy": json.dumps({"color": ["red"]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big, Attributes={
        "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"order": {"total": [{"numeric": [">=", 100]}]}}),
    })
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 150}}),
                MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}})
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 5}}),
                MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}})
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 500}}))
    received = [(d.queue_arn, json.loads(json.loads(d.body)["Message"])["order"]["total"]) for d in deliveries]
    assert received == [(red, 150), (big, 150), (big, 500)]


def test_fifo_topic_passes_group_and_dedup_ids_in_order(live):
    sns, deliveries, _, _ = live
    topic = sns.create_topic(Name="events.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    queue = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:events.fifo"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g1", MessageDeduplicationId="d1")
    sns.publish(TopicArn=topic, Message="m2", MessageGroupId="g2")
    sns.publish(TopicArn=topic, Message="m1-again", MessageGroupId="g1", MessageDeduplicationId="d1")  # duplicate
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "m3", "MessageGroupId": "g1"},
        {"Id": "b", "Message": "m4", "MessageGroupId": "g1"},
    ])
    assert [(d.body, d.group_id) for d in deliveries] == [("m1", "g1"), ("m2", "g2"), ("m3", "g1"), ("m4", "g1")]
    assert deliveries[0].dedup_id == "d1"
    assert deliveries[1].dedup_id == hashlib.sha256(b"m2").hexdigest()


def test_refused_delivery_goes_to_the_dead_letter_queue(live):
    sns, deliveries, refuse, _ = live
    topic = sns.create_topic(Name="dlq")["TopicArn"]
    gone = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:gone"
    dlq = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq"
    refuse[gone] = "AWS.SimpleQueueService.NonExistentQueue"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    sns.publish(TopicArn=topic, Message="lost?")
    # Once the SQS provider listens as well, its refusal may redrive before this stand-in sees the
    # first delivery: the order may differ, the dead-letter delivery happens exactly once.
    assert sorted(d.queue_arn for d in deliveries) == sorted([gone, dlq])
    redriven = next(d for d in deliveries if d.queue_arn == dlq)
    assert json.loads(redriven.body)["Message"] == "lost?"


def test_lambda_subscription_publishes_an_invocation(live):
    sns, _, _, app = live
    invocations: list[LambdaInvocation] = []
    app.runtime.events.subscribe(LAMBDA_INVOKE_TOPIC, invocations.append)
    topic = sns.create_topic(Name="to-lambda")["TopicArn"]
    function = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:handler"
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="invoke me")
    assert len(invocations) == 1
    record = invocations[0].event["Records"][0]
    assert invocations[0].function_arn == function
    assert (record["EventSource"], record["EventSubscriptionArn"]) == ("aws:sns", sub)
    assert record["Sns"]["Message"] == "invoke me" and record["Sns"]["Subject"] is None


# -- SNS → SQS end to end (the server's own SQS) ----------------------------------------------------


@pytest.fixture(scope="module")
def sqs(pycloud):
    return pycloud.client("sqs", region="us-west-2")


def _queue(sqs, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _drain(sqs, url: str, limit: int = 20) -> list[dict]:
    """Every message the queue holds now, in receive order (each deleted once read)."""
    received: list[dict] = []
    while len(received) < limit:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                    MessageAttributeNames=["All"]).get("Messages") or []
        if not batch:
            return received
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        received += batch
    return received


def test_standard_topic_to_queue_envelope_and_raw(sns, sqs):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    wrapped_url, wrapped = _queue(sqs, unique("wrapped"))
    raw_url, raw = _queue(sqs, unique("raw"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=wrapped)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw, Attributes={"RawMessageDelivery": "true"})
    attributes = {"color": {"DataType": "String", "StringValue": "red"},
                  "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}
    published = sns.publish(TopicArn=topic, Message="to both", Subject="Hi", MessageAttributes=attributes)
    [wrapped_message] = _drain(sqs, wrapped_url)
    note = json.loads(wrapped_message["Body"])
    assert (note["Type"], note["MessageId"], note["Message"], note["Subject"]) == (
        "Notification", published["MessageId"], "to both", "Hi")
    assert note["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": "AP8="}
    assert "MessageAttributes" not in wrapped_message
    verify_signature(note)
    [raw_message] = _drain(sqs, raw_url)
    assert raw_message["Body"] == "to both"
    assert raw_message["MessageAttributes"]["color"] == {"StringValue": "red", "DataType": "String"}
    assert raw_message["MessageAttributes"]["blob"] == {"BinaryValue": b"\x00\xff", "DataType": "Binary"}


def test_more_than_ten_attributes_and_raw_delivery(sns, sqs):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    wrapped_url, wrapped = _queue(sqs, unique("wrapped"))
    raw_url, raw = _queue(sqs, unique("raw"))
    dlq_url, dlq = _queue(sqs, unique("dlq"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=wrapped)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw, Attributes={
        "RawMessageDelivery": "true", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    many = {f"a{i:02d}": {"DataType": "String", "StringValue": str(i)} for i in range(12)}
    sns.publish(TopicArn=topic, Message="crowded", MessageAttributes=many)
    [message] = _drain(sqs, wrapped_url)
    assert len(json.loads(message["Body"])["MessageAttributes"]) == 12
    assert _drain(sqs, raw_url) == []  # SQS takes ten at most: a client-side error
    [dead] = _drain(sqs, dlq_url)
    assert json.loads(dead["Body"])["Message"] == "crowded"
    assert len(json.loads(dead["Body"])["MessageAttributes"]) == 12
    assert dead["MessageAttributes"]["ErrorCode"]["StringValue"] == "InvalidParameterValue"


def test_missing_queue_goes_to_the_dead_letter_queue(sns, sqs):
    topic = sns.create_topic(Name=unique())["TopicArn"]
    dlq_url, dlq = _queue(sqs, unique("dlq"))
    gone_url, gone = _queue(sqs, unique("gone"))
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone, Attributes={"RawMessageDelivery": "true"},
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                    AttributeValue=json.dumps({"deadLetterTargetArn": dlq}))
    sqs.delete_queue(QueueUrl=gone_url)
    sns.publish(TopicArn=topic, Message="nobody listens",
                MessageAttributes={"k": {"DataType": "Number", "StringValue": "7"}})
    [dead] = _drain(sqs, dlq_url)
    assert dead["Body"] == "nobody listens"
    attributes = dead["MessageAttributes"]
    assert attributes["k"] == {"StringValue": "7", "DataType": "Number"}
    assert attributes["ErrorCode"] == {"StringValue": "AWS.SimpleQueueService.NonExistentQueue", "DataType": "String"}
    assert attributes["ErrorMessage"]["StringValue"] == "The specified queue does not exist or you do not have access to it."
    assert uuid.UUID(attributes["RequestID"]["StringValue"])
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue="")
    sns.publish(TopicArn=topic, Message="lost for good")
    assert _drain(sqs, dlq_url) == []


def test_fifo_topic_to_fifo_queue_keeps_order_groups_and_dedup(sns, sqs):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = _queue(sqs, unique("orders") + ".fifo", FifoQueue="true")
    raw_url, raw_arn = _queue(sqs, unique("raw") + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sent = [sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1", MessageDeduplicationId=f"d{i}")
            for i in range(5)]
    again = sns.publish(TopicArn=topic, Message="m0 again", MessageGroupId="g1", MessageDeduplicationId="d0")
    assert again["MessageId"] == sent[0]["MessageId"]  # a duplicate: not delivered again
    batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": f"b{i}", "Message": f"b{i}", "MessageGroupId": "g2", "MessageDeduplicationId": f"bd{i}"} for i in range(3)
    ])
    assert [e["Id"] for e in batch["Successful"]] == ["b0", "b1", "b2"]

    received: list[dict] = []
    while batch_of := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages"):
        received += batch_of
        for message in batch_of:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    notes = [json.loads(m["Body"]) for m in received]
    by_group = {g: [n["Message"] for n, m in zip(notes, received, strict=True) if m["Attributes"]["MessageGroupId"] == g]
                for g in ("g1", "g2")}
    assert by_group == {"g1": ["m0", "m1", "m2", "m3", "m4"], "g2": ["b0", "b1", "b2"]}
    first = next(m for n, m in zip(notes, received, strict=True) if n["Message"] == "m0")
    assert first["Attributes"]["MessageDeduplicationId"] == "d0"
    assert next(n for n in notes if n["Message"] == "m0")["SequenceNumber"] == sent[0]["SequenceNumber"]
    sequences = [int(n["SequenceNumber"]) for n in notes if n["Message"].startswith("m")]
    assert sequences == sorted(sequences)

    raw = []
    while batch_of := sqs.receive_message(QueueUrl=raw_url, MaxNumberOfMessages=10).get("Messages"):
        raw += [m["Body"] for m in batch_of]
        for message in batch_of:
            sqs.delete_message(QueueUrl=raw_url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(raw) == ["b0", "b1", "b2", "m0", "m1", "m2", "m3", "m4"]


def test_fifo_topic_content_based_dedup_and_standard_queue_subscriber(sns, sqs):
    topic = sns.create_topic(Name=unique() + ".fifo",
                             Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    fifo_url, fifo_arn = _queue(sqs, unique("q") + ".fifo", FifoQueue="true")
    standard_url, standard_arn = _queue(sqs, unique("standard"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=standard_arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")  # deduplicated by content
    sns.publish(TopicArn=topic, Message="other", MessageGroupId="g")
    fifo = _drain(sqs, fifo_url)
    assert [m["Body"] for m in fifo] == ["same", "other"]
    assert fifo[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()
    assert sorted(m["Body"] for m in _drain(sqs, standard_url)) == ["other", "same"]


def test_fifo_subscription_dead_letters_to_a_fifo_queue_with_its_group(sns, sqs):
    topic = sns.create_topic(Name=unique() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    dlq_url, dlq = _queue(sqs, unique("dlq") + ".fifo", FifoQueue="true")
    gone_url, gone = _queue(sqs, unique("gone") + ".fifo", FifoQueue="true")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    sqs.delete_queue(QueueUrl=gone_url)
    sns.publish(TopicArn=topic, Message="orphan", MessageGroupId="grp", MessageDeduplicationId="once")
    [dead] = _drain(sqs, dlq_url)
    assert json.loads(dead["Body"])["Message"] == "orphan"
    assert (dead["Attributes"]["MessageGroupId"], dead["Attributes"]["MessageDeduplicationId"]) == ("grp", "once")
