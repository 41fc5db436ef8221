"""S3 event records and their routing to configured destinations (no server)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from pycloud.context import Principal, RequestContext
from pycloud.events import S3_NOTIFICATION_TOPIC, EventBus, S3Notification
from pycloud.protocol.rest_xml import host_id
from pycloud.services.s3 import events
from pycloud.services.s3.models import Bucket

NOW = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
QUEUE = "arn:aws:sqs:us-east-1:111111111111:q"
TOPIC = "arn:aws:sns:us-east-1:111111111111:t"


def _ctx(principal: Principal | None = None) -> RequestContext:
    principal = principal or Principal("111111111111", "arn:aws:iam::111111111111:root")
    return RequestContext("REQ1", "s3", "PutObject", "us-east-1", "111111111111", principal, NOW, source_ip="10.0.0.9")


def _bucket(notification: dict | None = None, versioning: str = "") -> Bucket:
    bucket = Bucket("b1", "111111111111", "us-east-1", NOW, versioning=versioning)
    return bucket.with_config("notification", notification) if notification else bucket


def _runtime() -> tuple[SimpleNamespace, list[S3Notification]]:
    bus = EventBus()
    got: list[S3Notification] = []
    bus.subscribe(S3_NOTIFICATION_TOPIC, got.append)
    return SimpleNamespace(events=bus), got


def test_event_patterns():
    assert events.event_matches("s3:ObjectCreated:*", "ObjectCreated:Put")
    assert events.event_matches("s3:ObjectCreated:Copy", "ObjectCreated:Copy")
    assert not events.event_matches("s3:ObjectCreated:Put", "ObjectCreated:Copy")
    assert not events.event_matches("s3:ObjectRemoved:*", "ObjectCreated:Put")
    assert events.event_matches("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated")
    assert not events.event_matches("s3:ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated")


def test_key_filters():
    config = {"Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "a/"}, {"Name": "suffix", "Value": ".x"}]}}}
    assert events.key_matches(config, "a/b.x")
    assert not events.key_matches(config, "a/b.y")
    assert not events.key_matches(config, "b/b.x")
    assert events.key_matches({}, "anything")


def test_key_encoding_and_time():
    assert events.encode_key("dir/a b+c(1)=é.txt") == "dir/a+b%2Bc%281%29%3D%C3%A9.txt"
    assert events.event_time(NOW) == "2026-03-04T05:06:07.891Z"


def test_record_structure():
    record = events.build_record(_ctx(), _bucket(), "ObjectCreated:Put", "k 1", {"size": 3, "sequencer": "0A"}, "cid")
    owner = events.owner_principal_id("111111111111")
    assert record == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-03-04T05:06:07.891Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": owner},
        "requestParameters": {"sourceIPAddress": "10.0.0.9"},
        "responseElements": {"x-amz-request-id": "REQ1", "x-amz-id-2": host_id("REQ1")},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "cid",
            "bucket": {"name": "b1", "ownerIdentity": {"principalId": owner}, "arn": "arn:aws:s3:::b1"},
            "object": {"key": "k+1", "size": 3, "sequencer": "0A"},
        },
    }


def test_principal_of_iam_identities():
    user = Principal("111111111111", "arn:aws:iam::111111111111:user/u", kind="user", user_id="AIDAEXAMPLE")
    assert events.caller_principal_id(_ctx(user)) == "AWS:AIDAEXAMPLE"
    assert events.caller_principal_id(_ctx(Principal("", "*", kind="anonymous"))) == "ANONYMOUS_PRINCIPAL"


def test_emit_publishes_one_message_per_matching_configuration_with_one_sequencer():
    notification = {
        "QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}],
        # Two matching configurations cannot be stored (overlap), but emit must not assume it.
        "TopicConfigurations": [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:Put"]},
                                {"Id": "never", "TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:*"]}],
    }
    runtime, got = _runtime()
    info = SimpleNamespace(size=4, etag="e1", version_id="v1", key="k")
    events.object_created(runtime, _ctx(), _bucket(notification, "Enabled"), "ObjectCreated:Put", "k", info)
    assert [(n.destination_arn, n.destination_type, n.configuration_id) for n in got] == [
        (QUEUE, "queue", "q"), (TOPIC, "topic", "t"),
    ]
    objects = [n.record["s3"]["object"] for n in got]
    assert objects[0] == objects[1]
    assert {k: v for k, v in objects[0].items() if k != "sequencer"} == {
        "key": "k", "size": 4, "eTag": "e1", "versionId": "v1",
    }


def test_sequencers_increase_even_when_the_clock_stands_still():
    notification = {"QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}]}
    runtime, got = _runtime()
    bucket = _bucket(notification)
    for _ in range(3):
        events.object_removed(runtime, _ctx(), bucket, "k", "", SimpleNamespace(is_delete_marker=False, version_id=""))
    seqs = [n.record["s3"]["object"]["sequencer"] for n in got]
    assert [int(s, 16) for s in seqs] == sorted({int(s, 16) for s in seqs})
    assert all(len(s) == 18 for s in seqs)


def test_removed_event_names_and_versions():
    notification = {"QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}]}
    runtime, got = _runtime()
    bucket = _bucket(notification, "Enabled")
    events.object_removed(runtime, _ctx(), bucket, "k", "", SimpleNamespace(is_delete_marker=True, version_id="m1"))
    events.object_removed(runtime, _ctx(), bucket, "k", "m1", SimpleNamespace(is_delete_marker=True, version_id="m1"))
    events.object_removed(runtime, _ctx(), bucket, "k", "v0", None)  # nothing was deleted
    assert [(n.record["eventName"], n.record["s3"]["object"]["versionId"]) for n in got] == [
        ("ObjectRemoved:DeleteMarkerCreated", "m1"), ("ObjectRemoved:Delete", "m1"),
    ]


def test_nothing_is_built_without_configuration():
    runtime, got = _runtime()
    # An object without the attributes a record needs: touching it would raise.
    events.object_created(runtime, _ctx(), _bucket(), "ObjectCreated:Put", "k", object())
    events.object_tagging(runtime, _ctx(), _bucket(), "ObjectTagging:Put", object())
    assert got == []


def test_test_events_go_to_new_destinations_once():
    runtime, got = _runtime()
    old = {"QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]}
    new = {
        "QueueConfigurations": [{"Id": "q2", "QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"]}],
        "TopicConfigurations": [{"Id": "t1", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:Put"]},
                                {"Id": "t2", "TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:*"]}],
    }
    assert events.send_test_events(runtime, _ctx(), "b1", old, new) == 1
    assert [(n.destination_arn, n.destination_type, n.configuration_id) for n in got] == [(TOPIC, "topic", "t1")]
    assert got[0].record == {
        "Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-03-04T05:06:07.891Z", "Bucket": "b1",
        "RequestId": "REQ1", "HostId": host_id("REQ1"),
    }
    assert events.send_test_events(runtime, _ctx(), "b1", None, None) == 0
