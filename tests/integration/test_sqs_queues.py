"""SQS queue operations through real clients: boto3 (json), a query-forced botocore client, the CLI."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from s3_helpers import error_of
from sqs_helpers import account_fixture, query_code, status, unique

from pycloud.testing.plugin import private_server_fixture

# Advancing the virtual clock by days would expire what other modules sign against a shared server.
pycloud = private_server_fixture()

OWNER = ("210000000001", "AKIASQSQUEUETESTS001", "sqs-queue-tests-secret", "sqs-queues")
OTHER = ("210000000002", "AKIASQSQUEUETESTS002", "sqs-queue-tests-other", "sqs-queues-other")

owner = account_fixture(*OWNER)
other = account_fixture(*OTHER)


@pytest.fixture(scope="module")
def sqs(owner):
    return owner.client()


def _create(sqs, name: str | None = None, **kwargs) -> str:
    return sqs.create_queue(QueueName=name or unique(), **kwargs)["QueueUrl"]


def _arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# -- create / url / list / delete -----------------------------------------------------------------


def test_create_returns_a_url_on_the_endpoint_and_is_idempotent(pycloud, sqs):
    name = unique()
    url = _create(sqs, name, Attributes={"VisibilityTimeout": "45"})
    assert url == f"{pycloud.endpoint}/{OWNER[0]}/{name}"
    assert _create(sqs, name, Attributes={"VisibilityTimeout": "45"}) == url
    assert _create(sqs, name) == url  # attributes not given are not compared
    err = error_of(sqs.create_queue, QueueName=name, Attributes={"VisibilityTimeout": "46"})
    assert isinstance(err, sqs.exceptions.QueueNameExists)
    assert (query_code(err), status(err)) == ("QueueAlreadyExists", 400)
    assert "VisibilityTimeout" in err.response["Error"]["Message"]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("has space", {}),
        ("x" * 81, {}),
        ("", {}),
        ("standard.fifo", {}),
        ("no-suffix", {"FifoQueue": "true"}),
    ],
)
def test_invalid_queue_names(sqs, name, attributes):
    err = error_of(sqs.create_queue, QueueName=name, Attributes=attributes)
    assert (query_code(err), status(err)) == ("InvalidParameterValue", 400)


def test_unknown_queue(sqs):
    err = error_of(sqs.get_queue_url, QueueName=unique("missing"))
    assert isinstance(err, sqs.exceptions.QueueDoesNotExist)
    assert (query_code(err), status(err)) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    missing = f"http://localhost:4566/{OWNER[0]}/{unique('missing')}"
    err = error_of(sqs.send_message, QueueUrl=missing, MessageBody="x")
    assert isinstance(err, sqs.exceptions.QueueDoesNotExist)
    err = error_of(sqs.get_queue_attributes, QueueUrl="not-a-url", AttributeNames=["All"])
    assert query_code(err) == "InvalidAddress"


def test_queue_url_forms_are_accepted(sqs):
    name = unique()
    _create(sqs, name)
    for url in (f"http://localhost:4566/{OWNER[0]}/{name}",
                f"http://sqs.us-east-1.localhost:4566/{OWNER[0]}/{name}",
                f"https://sqs.us-east-1.amazonaws.com/{OWNER[0]}/{name}"):
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == (
            f"arn:aws:sqs:us-east-1:{OWNER[0]}:{name}"
        )
    # A URL naming another region finds nothing there.
    err = error_of(sqs.get_queue_attributes, QueueUrl=f"http://sqs.eu-west-1.localhost:4566/{OWNER[0]}/{name}",
                   AttributeNames=["QueueArn"])
    assert isinstance(err, sqs.exceptions.QueueDoesNotExist)


def test_list_queues_by_prefix_and_pages(sqs):
    prefix = f"list-{uuid.uuid4().hex[:8]}"
    urls = sorted(_create(sqs, f"{prefix}-{i}") for i in range(5))
    assert sorted(sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]) == urls
    assert "NextToken" not in sqs.list_queues(QueueNamePrefix=prefix)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, **kwargs)
        seen += page["QueueUrls"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert (sorted(seen), pages) == (urls, 3)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=f"none-{uuid.uuid4().hex}")
    err = error_of(sqs.list_queues, MaxResults=1001)
    assert query_code(err) == "InvalidParameterValue"
    err = error_of(sqs.list_queues, MaxResults=1, NextToken="garbage")
    assert query_code(err) == "InvalidParameterValue"


def test_queues_are_per_region(owner):
    east, west = owner.client("us-east-1"), owner.client("eu-west-1")
    prefix = f"region-{uuid.uuid4().hex[:8]}"
    url = _create(west, f"{prefix}-w")
    assert "QueueUrls" not in east.list_queues(QueueNamePrefix=prefix)
    assert west.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [url]
    assert _arn(west, url).startswith("arn:aws:sqs:eu-west-1:")


def test_delete_queue_then_name_cooldown(pycloud, sqs):
    name = unique()
    url = _create(sqs, name)
    sqs.send_message(QueueUrl=url, MessageBody="gone soon")
    sqs.delete_queue(QueueUrl=url)
    assert isinstance(error_of(sqs.get_queue_url, QueueName=name), sqs.exceptions.QueueDoesNotExist)
    err = error_of(sqs.create_queue, QueueName=name)
    assert isinstance(err, sqs.exceptions.QueueDeletedRecently)
    assert query_code(err) == "AWS.SimpleQueueService.QueueDeletedRecently"
    pycloud.advance_clock(61)
    assert _create(sqs, name) == url
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # the old messages went with the old queue


# -- attributes -----------------------------------------------------------------------------------


def test_default_attributes(sqs):
    url = _create(sqs)
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {k: values[k] for k in ("VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
                                    "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled",
                                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                    "ApproximateNumberOfMessagesDelayed")} == {
        "VisibilityTimeout": "30", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0", "SqsManagedSseEnabled": "true",
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
    }
    assert values["QueueArn"] == f"arn:aws:sqs:us-east-1:{OWNER[0]}:{url.rsplit('/', 1)[1]}"
    assert int(values["CreatedTimestamp"]) == int(values["LastModifiedTimestamp"]) > 1_600_000_000
    for absent in ("Policy", "RedrivePolicy", "FifoQueue", "KmsMasterKeyId"):
        assert absent not in values
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert only == {"DelaySeconds": "0"}


def test_set_attributes_and_last_modified(pycloud, sqs):
    url = _create(sqs)
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["LastModifiedTimestamp"])["Attributes"]
    pycloud.advance_clock(5)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        "VisibilityTimeout": "120", "DelaySeconds": "5", "MaximumMessageSize": "2048",
        "MessageRetentionPeriod": "600", "ReceiveMessageWaitTimeSeconds": "2", "KmsMasterKeyId": "alias/aws/sqs",
    })
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (values["VisibilityTimeout"], values["DelaySeconds"], values["MaximumMessageSize"],
            values["MessageRetentionPeriod"], values["ReceiveMessageWaitTimeSeconds"]) == ("120", "5", "2048", "600", "2")
    assert (values["KmsMasterKeyId"], values["KmsDataKeyReusePeriodSeconds"], values["SqsManagedSseEnabled"]) == (
        "alias/aws/sqs", "300", "false")
    assert int(values["LastModifiedTimestamp"]) >= int(before["LastModifiedTimestamp"]) + 5


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "x"}, "InvalidAttributeValue"),
        ({"Bogus": "1"}, "InvalidAttributeName"),
        ({"QueueArn": "arn:aws:sqs:us-east-1:1:x"}, "InvalidAttributeName"),
        ({"FifoQueue": "true"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),
        ({"Policy": "{not json"}, "InvalidAttributeValue"),
    ],
)
def test_invalid_attribute_changes(sqs, attributes, code):
    url = _create(sqs)
    err = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes=attributes)
    assert (query_code(err), status(err)) == (code, 400)


def test_get_unknown_attribute_name(sqs):
    err = error_of(sqs.get_queue_attributes, QueueUrl=_create(sqs), AttributeNames=["NoSuchAttribute"])
    assert query_code(err) == "InvalidAttributeName"


def test_redrive_policy_and_dead_letter_sources(sqs):
    dlq = _create(sqs, unique("dlq"))
    dlq_arn = _arn(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    sources = sorted(_create(sqs, unique("src"), Attributes={"RedrivePolicy": policy}) for _ in range(3))
    stored = sqs.get_queue_attributes(QueueUrl=sources[0], AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(stored["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sources
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2, NextToken=page["NextToken"])
    assert sorted(page["queueUrls"] + rest["queueUrls"]) == sources and "NextToken" not in rest
    assert sqs.list_dead_letter_source_queues(QueueUrl=sources[0])["queueUrls"] == []
    # Removing the policy takes the queue off the list.
    sqs.set_queue_attributes(QueueUrl=sources[0], Attributes={"RedrivePolicy": ""})
    assert sources[0] not in sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]


def test_redrive_policy_targets_are_checked(sqs):
    missing = f"arn:aws:sqs:us-east-1:{OWNER[0]}:{unique('nothing')}"
    err = error_of(sqs.create_queue, QueueName=unique(),
                   Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": missing, "maxReceiveCount": 1})})
    assert query_code(err) == "InvalidParameterValue"
    fifo_dlq = _create(sqs, unique("dlq") + ".fifo", Attributes={"FifoQueue": "true"})
    err = error_of(sqs.create_queue, QueueName=unique(), Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": _arn(sqs, fifo_dlq), "maxReceiveCount": 1})})
    assert query_code(err) == "InvalidParameterValue"
    closed = _create(sqs, unique("dlq"), Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    err = error_of(sqs.create_queue, QueueName=unique(), Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": _arn(sqs, closed), "maxReceiveCount": 1})})
    assert query_code(err) == "InvalidParameterValue"


# -- tags -----------------------------------------------------------------------------------------


def test_tags(sqs):
    url = _create(sqs, tags={"team": "a", "env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "1"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    err = error_of(sqs.tag_queue, QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert query_code(err) == "InvalidParameterValue"


# -- access: permissions, policies, other accounts, anonymous callers -------------------------------


def test_other_accounts_are_refused_without_a_policy(sqs, other):
    url = _create(sqs)
    stranger = other.client()
    err = error_of(stranger.send_message, QueueUrl=url, MessageBody="hi")
    assert (query_code(err), status(err)) == ("AccessDenied", 403)
    err = error_of(stranger.get_queue_url, QueueName=url.rsplit("/", 1)[1], QueueOwnerAWSAccountId=OWNER[0])
    assert query_code(err) == "AccessDenied"


def test_add_and_remove_permission(sqs, other):
    name = unique()
    url = _create(sqs, name)
    sqs.add_permission(QueueUrl=url, Label="LetOtherSend", AWSAccountIds=[OTHER[0]],
                       Actions=["SendMessage", "GetQueueUrl"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    statement = policy["Statement"][0]
    assert statement["Sid"] == "LetOtherSend"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OTHER[0]}:root"}
    assert statement["Action"] == ["SQS:SendMessage", "SQS:GetQueueUrl"]
    stranger = other.client()
    assert stranger.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=OWNER[0])["QueueUrl"] == url
    stranger.send_message(QueueUrl=url, MessageBody="from the other account")
    assert query_code(error_of(stranger.receive_message, QueueUrl=url)) == "AccessDenied"  # not granted
    err = error_of(sqs.add_permission, QueueUrl=url, Label="LetOtherSend", AWSAccountIds=[OTHER[0]],
                   Actions=["ReceiveMessage"])
    assert query_code(err) == "InvalidParameterValue"  # the label exists
    err = error_of(sqs.add_permission, QueueUrl=url, Label="Bad", AWSAccountIds=[OTHER[0]], Actions=["Explode"])
    assert query_code(err) == "InvalidParameterValue"
    # Cross-account permissions never cover queue administration.
    assert query_code(error_of(stranger.delete_queue, QueueUrl=url)) == "AccessDenied"
    sqs.remove_permission(QueueUrl=url, Label="LetOtherSend")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    assert query_code(error_of(stranger.send_message, QueueUrl=url, MessageBody="x")) == "AccessDenied"
    assert query_code(error_of(sqs.remove_permission, QueueUrl=url, Label="LetOtherSend")) == "InvalidParameterValue"
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "from the other account"


def test_public_policy_admits_anonymous_callers(pycloud, sqs):
    url = _create(sqs)
    anonymous = pycloud.client("sqs", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    err = error_of(anonymous.send_message, QueueUrl=url, MessageBody="anon")
    assert (query_code(err), status(err)) == ("AccessDenied", 403)
    arn = _arn(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}],
    })})
    anonymous.send_message(QueueUrl=url, MessageBody="anon")
    assert query_code(error_of(anonymous.receive_message, QueueUrl=url)) == "AccessDenied"
    assert query_code(error_of(anonymous.create_queue, QueueName=unique())) == "AccessDenied"
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "anon"


def test_explicit_deny_binds_the_owner_too(sqs):
    url = _create(sqs)
    arn = _arn(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:PurgeQueue", "Resource": arn}],
    })})
    assert query_code(error_of(sqs.purge_queue, QueueUrl=url)) == "AccessDenied"
    sqs.send_message(QueueUrl=url, MessageBody="still allowed")


# -- the query protocol (older SDKs) and the CLI ----------------------------------------------------


def test_query_protocol_queue_operations(owner):
    client = owner.query_client()
    name = unique("query")
    url = client.create_queue(QueueName=name, Attributes={"DelaySeconds": "3"}, tags={"k": "v"})["QueueUrl"]
    assert url.endswith(f"/{OWNER[0]}/{name}")
    assert client.get_queue_url(QueueName=name)["QueueUrl"] == url
    values = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert values["DelaySeconds"] == "3" and values["VisibilityTimeout"] == "30"
    assert client.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
    assert url in client.list_queues(QueueNamePrefix=name)["QueueUrls"]
    err = error_of(client.get_queue_url, QueueName=unique("missing"))
    assert (query_code(err), status(err)) == ("AWS.SimpleQueueService.NonExistentQueue", 400)
    err = error_of(client.create_queue, QueueName=name, Attributes={"DelaySeconds": "4"})
    assert query_code(err) == "QueueAlreadyExists"
    err = error_of(client.set_queue_attributes, QueueUrl=url, Attributes={"Nope": "1"})
    assert query_code(err) == "InvalidAttributeName"
    client.delete_queue(QueueUrl=url)


def test_cli_queue_lifecycle(owner):
    name = unique("cli")
    url = owner.cli("create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40")["QueueUrl"]
    assert url.endswith(f"/{OWNER[0]}/{name}")
    attributes = owner.cli("get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout")
    assert attributes == {"Attributes": {"VisibilityTimeout": "40"}}
    assert url in owner.cli("list-queues", "--queue-name-prefix", name)["QueueUrls"]
    owner.cli("delete-queue", "--queue-url", url)
    with pytest.raises(ClientError):
        owner.client().get_queue_url(QueueName=name)


# -- deliveries from S3 ---------------------------------------------------------------------------


def test_s3_notifications_arrive_in_the_queue(owner):
    sqs = owner.client()
    s3 = owner.server.client("s3", access_key=OWNER[1], secret_key=OWNER[2],
                             config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
    url = _create(sqs, unique("events"))
    bucket = f"sqs-events-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"Id": "to-queue", "QueueArn": _arn(sqs, url), "Events": ["s3:ObjectCreated:*"]}]})
    test_event = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert json.loads(test_event["Body"])["Event"] == "s3:TestEvent"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=test_event["ReceiptHandle"])
    s3.put_object(Bucket=bucket, Key="dir/file name.txt", Body=b"hello")
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["SenderId"])["Messages"][0]
    record = json.loads(got["Body"])["Records"][0]
    assert (record["eventSource"], record["eventName"]) == ("aws:s3", "ObjectCreated:Put")
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "dir/file+name.txt"
    assert record["s3"]["configurationId"] == "to-queue"
    assert got["Attributes"]["SenderId"]


def _queue_arn_of(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_sns_deliveries_arrive_in_the_queue(owner):
    sqs = owner.client()
    sns = owner.server.client("sns", access_key=OWNER[1], secret_key=OWNER[2])
    url = _create(sqs, unique("sns"))
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn_of(sqs, url),
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="enveloped")
    envelope = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["Body"])
    assert (envelope["Type"], envelope["TopicArn"], envelope["Message"]) == ("Notification", topic, "enveloped")
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")
    sns.publish(TopicArn=topic, Message="raw", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    raw = [m for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                          MessageAttributeNames=["All"])["Messages"] if m["Body"] == "raw"]
    assert raw[0]["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}


def test_state_survives_a_restart_and_deliveries_need_no_sqs_request_first(tmp_path):
    from pycloud.testing import PycloudServer

    data_dir = str(tmp_path / "data")
    s3_config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        sqs = server.client("sqs")
        url = sqs.create_queue(QueueName="kept", Attributes={"VisibilityTimeout": "600"}, tags={"t": "1"})["QueueUrl"]
        s3 = server.client("s3", config=s3_config)
        s3.create_bucket(Bucket="kept-bucket")
        s3.put_bucket_notification_configuration(Bucket="kept-bucket", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": _queue_arn_of(sqs, url), "Events": ["s3:ObjectCreated:*"]}]})
        (test_event,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=test_event["ReceiptHandle"])
        sqs.send_message(QueueUrl=url, MessageBody="first")
        sqs.send_message(QueueUrl=url, MessageBody="second")
        in_flight = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]  # stays invisible across the restart
    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        # The first request after the restart is S3's: the notification must still reach the queue.
        server.client("s3", config=s3_config).put_object(Bucket="kept-bucket", Key="k", Body=b"x")
        sqs = server.client("sqs")
        url = sqs.get_queue_url(QueueName="kept")["QueueUrl"]
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"t": "1"}
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
            "VisibilityTimeout": "600"}
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        assert len(bodies) == 2
        assert {"first", "second"} - {in_flight} == {b for b in bodies if not b.startswith("{")}
        assert any(json.loads(b)["Records"][0]["eventName"] == "ObjectCreated:Put" for b in bodies if b.startswith("{"))
