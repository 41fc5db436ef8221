"""S3 event notifications on the in-process bus, driven with boto3 against the real app."""

from __future__ import annotations

import pytest
from in_process import app_client, ephemeral_app, serving

from pycloud.events import S3_NOTIFICATION_TOPIC, S3Notification

QUEUE = "arn:aws:sqs:eu-west-1:000000000000:q1"
TOPIC = "arn:aws:sns:eu-west-1:000000000000:t1"
LAMBDA = "arn:aws:lambda:eu-west-1:000000000000:function:f1"


@pytest.fixture
def live():
    """The real app served on a loop thread of this process; yields (s3 client, received notifications)."""
    app = ephemeral_app()
    received: list[S3Notification] = []
    app.runtime.events.subscribe(S3_NOTIFICATION_TOPIC, received.append)
    with serving(app) as endpoint:
        s3 = app_client(endpoint, "s3", s3={"addressing_style": "path"})
        s3.create_bucket(Bucket="bkt", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield s3, received


def _configure(s3, received: list[S3Notification] | None = None, **config) -> None:
    """Set the configuration; the s3:TestEvent messages it sends are dropped from ``received``."""
    s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration=config)
    if received is not None:
        received[:] = [n for n in received if n.record.get("Event") != "s3:TestEvent"]


def _queue(config_id: str, events: list[str], **filters: str) -> dict:
    entry = {"Id": config_id, "QueueArn": QUEUE, "Events": events}
    if filters:
        entry["Filter"] = {"Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in filters.items()]}}
    return entry


def test_put_object_record_is_complete(live):
    s3, received = live
    _configure(s3, received, QueueConfigurations=[_queue("all-created", ["s3:ObjectCreated:*"])])
    response = s3.put_object(Bucket="bkt", Key="dir/my file (1).txt", Body=b"hello")

    assert len(received) == 1
    note = received[0]
    assert (note.destination_arn, note.destination_type, note.configuration_id) == (QUEUE, "queue", "all-created")
    record = note.record
    meta = response["ResponseMetadata"]["HTTPHeaders"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"].endswith("Z") and len(record["eventTime"]) == len("1970-01-01T00:00:00.000Z")
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    assert record["responseElements"] == {
        "x-amz-request-id": meta["x-amz-request-id"], "x-amz-id-2": meta["x-amz-id-2"],
    }
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "all-created"
    assert s3_part["bucket"]["name"] == "bkt"
    assert s3_part["bucket"]["arn"] == "arn:aws:s3:::bkt"
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    obj = s3_part["object"]
    assert obj["key"] == "dir/my+file+%281%29.txt"
    assert obj["size"] == 5
    assert obj["eTag"] == response["ETag"].strip('"')
    assert "versionId" not in obj  # bucket never versioned
    int(obj["sequencer"], 16)


def test_copy_and_multipart_events(live):
    s3, received = live
    _configure(s3, received, QueueConfigurations=[_queue("c", ["s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload"])])
    s3.put_object(Bucket="bkt", Key="src", Body=b"abc")  # Put is not configured: no event
    assert received == []
    copied = s3.copy_object(Bucket="bkt", Key="dst", CopySource="bkt/src")
    upload = s3.create_multipart_upload(Bucket="bkt", Key="mp")
    part = s3.upload_part(Bucket="bkt", Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 10)
    done = s3.complete_multipart_upload(
        Bucket="bkt", Key="mp", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert [(n.record["eventName"], n.record["s3"]["object"]["key"]) for n in received] == [
        ("ObjectCreated:Copy", "dst"), ("ObjectCreated:CompleteMultipartUpload", "mp"),
    ]
    assert received[0].record["s3"]["object"]["eTag"] == copied["CopyObjectResult"]["ETag"].strip('"')
    assert received[0].record["s3"]["object"]["size"] == 3
    assert received[1].record["s3"]["object"]["eTag"] == done["ETag"].strip('"')
    assert received[1].record["s3"]["object"]["size"] == 10


def test_delete_events_unversioned_and_versioned(live):
    s3, received = live
    _configure(s3, received, TopicConfigurations=[{"Id": "rm", "TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:*"]}])
    s3.put_object(Bucket="bkt", Key="a", Body=b"1")
    s3.put_object(Bucket="bkt", Key="b", Body=b"2")
    s3.put_object(Bucket="bkt", Key="c", Body=b"3")
    s3.delete_object(Bucket="bkt", Key="a")
    s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "b"}, {"Key": "c"}]})
    assert [(n.destination_type, n.record["eventName"], n.record["s3"]["object"]) for n in received] == [
        ("topic", "ObjectRemoved:Delete", {"key": k, "sequencer": received[i].record["s3"]["object"]["sequencer"]})
        for i, k in enumerate("abc")
    ]

    received.clear()
    s3.put_bucket_versioning(Bucket="bkt", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="bkt", Key="v", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket="bkt", Key="v")["VersionId"]
    s3.delete_object(Bucket="bkt", Key="v", VersionId=version)
    events = [(n.record["eventName"], n.record["s3"]["object"].get("versionId")) for n in received]
    assert events == [("ObjectRemoved:DeleteMarkerCreated", marker), ("ObjectRemoved:Delete", version)]
    sequencers = [int(n.record["s3"]["object"]["sequencer"], 16) for n in received]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 2


def test_tagging_events(live):
    s3, received = live
    _configure(s3, received, LambdaFunctionConfigurations=[
        {"Id": "tags", "LambdaFunctionArn": LAMBDA, "Events": ["s3:ObjectTagging:*"]},
    ])
    etag = s3.put_object(Bucket="bkt", Key="t", Body=b"1")["ETag"].strip('"')
    s3.put_object_tagging(Bucket="bkt", Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket="bkt", Key="t")
    assert [(n.destination_arn, n.destination_type, n.record["eventName"]) for n in received] == [
        (LAMBDA, "lambda", "ObjectTagging:Put"), (LAMBDA, "lambda", "ObjectTagging:Delete"),
    ]
    assert all(n.record["s3"]["object"]["eTag"] == etag for n in received)


def test_filters_and_multiple_configurations(live):
    s3, received = live
    _configure(
        s3,
        received,
        QueueConfigurations=[_queue("jpgs", ["s3:ObjectCreated:Put"], prefix="img/", suffix=".jpg")],
        TopicConfigurations=[{"Id": "logs", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:*"],
                              "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "logs/"}]}}}],
        LambdaFunctionConfigurations=[{"Id": "pngs", "LambdaFunctionArn": LAMBDA, "Events": ["s3:ObjectCreated:*"],
                                       "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "img/"},
                                                                          {"Name": "suffix", "Value": ".png"}]}}}],
    )
    s3.put_object(Bucket="bkt", Key="img/cat.jpg", Body=b"1")  # queue
    s3.put_object(Bucket="bkt", Key="img/cat.png", Body=b"1")  # lambda
    s3.put_object(Bucket="bkt", Key="img/cat.gif", Body=b"1")  # nothing
    s3.put_object(Bucket="bkt", Key="logs/x.txt", Body=b"1")   # topic
    s3.put_object(Bucket="bkt", Key="cat.jpg", Body=b"1")      # nothing: prefix missing
    s3.copy_object(Bucket="bkt", Key="img/dog.jpg", CopySource="bkt/img/cat.jpg")  # queue is Put only
    got = [(n.record["s3"]["object"]["key"], n.destination_type, n.configuration_id, n.record["s3"]["configurationId"])
           for n in received]
    assert got == [
        ("img/cat.jpg", "queue", "jpgs", "jpgs"),
        ("img/cat.png", "lambda", "pngs", "pngs"),
        ("logs/x.txt", "topic", "logs", "logs"),
    ]


def test_no_events_without_or_after_removing_configuration(live):
    s3, received = live
    s3.put_object(Bucket="bkt", Key="a", Body=b"1")
    _configure(s3, received, QueueConfigurations=[_queue("q", ["s3:ObjectRemoved:*"])])
    s3.put_object(Bucket="bkt", Key="b", Body=b"1")  # only removals configured
    _configure(s3)  # turned off
    s3.delete_object(Bucket="bkt", Key="a")
    assert received == []


def test_new_destinations_get_a_test_event(live):
    s3, received = live
    s3.put_bucket_notification_configuration(
        Bucket="bkt", NotificationConfiguration={"QueueConfigurations": [_queue("c1", ["s3:ObjectCreated:*"])]}
    )
    assert [(n.destination_arn, n.record["Event"], n.record["Bucket"]) for n in received] == [
        (QUEUE, "s3:TestEvent", "bkt")
    ]
    received.clear()
    s3.put_bucket_notification_configuration(  # same destination again: no new test event
        Bucket="bkt", NotificationConfiguration={"QueueConfigurations": [_queue("c2", ["s3:ObjectRemoved:*"])]}
    )
    assert received == []
