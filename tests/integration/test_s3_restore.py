"""S3 lifecycle transitions and RestoreObject of archived objects, on the virtual clock: effective
storage class in HEAD/GET/attributes/listings, InvalidObjectState before a restore, restore tiers and
their durations, 202/200/409, expiry back to archived, noncurrent transitions, the periodic pass and
the restore / transition event notifications.

The module advances the virtual clock by days, so it runs against its own server.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from clock_helpers import DAY, advance_to, lifecycle_due, server_now
from in_process import app_client, ephemeral_app, serving
from s3_helpers import account_client_fixture, code_status, error_of, unique

from pycloud.clock import Clock
from pycloud.events import S3_NOTIFICATION_TOPIC, S3Notification
from pycloud.testing.plugin import private_server_fixture
from pycloud.testing.server import PycloudServer

ACCOUNT = "555566667777"
KEY_ID = "AKIAS3RESTORETEST001"
SECRET = "s3-restore-tests-secret"
MARGIN = timedelta(minutes=5)
BIG = b"z" * (128 * 1024)
"""The smallest body lifecycle transitions by default (128 KB)."""


pycloud = private_server_fixture()
client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-restore-tests")


@pytest.fixture(scope="module")
def s3(client):
    return client()


def _bucket(s3, *, versioned: bool = False) -> str:
    name = unique("rs")
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _rules(s3, bucket: str, *rules: dict, min_size: str | None = None) -> None:
    extra = {"TransitionDefaultMinimumObjectSize": min_size} if min_size else {}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}, **extra)


def _class(s3, bucket: str, key: str, **kwargs) -> str:
    return s3.head_object(Bucket=bucket, Key=key, **kwargs).get("StorageClass", "STANDARD")


def _listed(s3, bucket: str) -> dict[str, str]:
    return {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _restore(s3, bucket: str, key: str, days: int = 1, tier: str | None = None, **kwargs) -> int:
    request: dict = {"Days": days}
    if tier:
        request["GlacierJobParameters"] = {"Tier": tier}
    response = s3.restore_object(Bucket=bucket, Key=key, RestoreRequest=request, **kwargs)
    return response["ResponseMetadata"]["HTTPStatusCode"]


def _expiry(restore: str) -> datetime:
    assert restore.startswith('ongoing-request="false", expiry-date="'), restore
    return parsedate_to_datetime(restore.split('expiry-date="', 1)[1].rstrip('"'))


# -- restoring objects stored as GLACIER / DEEP_ARCHIVE -----------------------------------------------


def test_glacier_restore_lifecycle(pycloud, s3):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")
    head = s3.head_object(Bucket=bucket, Key="cold")
    assert head["StorageClass"] == "GLACIER" and "Restore" not in head
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="cold")) == ("InvalidObjectState", 403)

    before = server_now(pycloud)
    assert _restore(s3, bucket, "cold", days=2) == 202  # Standard by default: 5 hours
    after = server_now(pycloud)
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"] == 'ongoing-request="true"'
    assert code_status(error_of(_restore, s3, bucket, "cold", 2)) == ("RestoreAlreadyInProgress", 409)
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="cold")) == ("InvalidObjectState", 403)

    advance_to(pycloud, after + timedelta(hours=5) - MARGIN)
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"] == 'ongoing-request="true"'
    advance_to(pycloud, before + timedelta(hours=5) + MARGIN)
    head = s3.head_object(Bucket=bucket, Key="cold")
    assert head["StorageClass"] == "GLACIER"  # a restored copy leaves the class as it is
    expiry = _expiry(head["Restore"])
    assert expiry in {lifecycle_due(before + timedelta(hours=5), 2), lifecycle_due(after + timedelta(hours=5), 2)}
    got = s3.get_object(Bucket=bucket, Key="cold")
    assert got["Body"].read() == b"frozen"
    assert _expiry(got["Restore"]) == expiry

    # Asking again while restored extends the copy, counted from now: 200.
    now = server_now(pycloud)
    assert _restore(s3, bucket, "cold", days=5) == 200
    extended = _expiry(s3.head_object(Bucket=bucket, Key="cold")["Restore"])
    assert extended == lifecycle_due(now, 5) and extended > expiry

    advance_to(pycloud, extended - MARGIN)
    assert s3.get_object(Bucket=bucket, Key="cold")["Body"].read() == b"frozen"
    advance_to(pycloud, extended + MARGIN)
    assert "Restore" not in s3.head_object(Bucket=bucket, Key="cold")
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="cold")) == ("InvalidObjectState", 403)
    assert _restore(s3, bucket, "cold", tier="Expedited") == 202  # archived again: a new restore


@pytest.mark.parametrize(
    ("storage_class", "tier", "duration"),
    [
        ("GLACIER", "Expedited", timedelta(minutes=5)),
        ("GLACIER", "Standard", timedelta(hours=5)),
        ("GLACIER", "Bulk", timedelta(hours=12)),
        ("DEEP_ARCHIVE", "Standard", timedelta(hours=12)),
        ("DEEP_ARCHIVE", "Bulk", timedelta(hours=48)),
    ],
)
def test_tier_durations(pycloud, s3, storage_class, tier, duration):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass=storage_class)
    before = server_now(pycloud)
    assert _restore(s3, bucket, "k", days=3, tier=tier) == 202
    after = server_now(pycloud)
    advance_to(pycloud, after + duration - timedelta(seconds=30))
    assert s3.head_object(Bucket=bucket, Key="k")["Restore"] == 'ongoing-request="true"'
    advance_to(pycloud, before + duration + timedelta(seconds=30))
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["StorageClass"] == storage_class
    assert _expiry(head["Restore"]) in {lifecycle_due(before + duration, 3), lifecycle_due(after + duration, 3)}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_faster_tier_upgrades_restore_in_progress(pycloud, s3):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass="GLACIER")
    assert _restore(s3, bucket, "k", tier="Standard") == 202
    assert code_status(error_of(_restore, s3, bucket, "k", 1, "Bulk")) == ("RestoreAlreadyInProgress", 409)
    assert code_status(error_of(_restore, s3, bucket, "k", 1, "Standard")) == ("RestoreAlreadyInProgress", 409)
    start = server_now(pycloud)
    assert _restore(s3, bucket, "k", tier="Expedited") == 202
    advance_to(pycloud, start + timedelta(minutes=6))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_restore_errors(pycloud, s3):
    bucket = _bucket(s3, versioned=True)
    for key, storage_class in [("std", "STANDARD"), ("ia", "STANDARD_IA"), ("ir", "GLACIER_IR")]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x", StorageClass=storage_class)
        assert code_status(error_of(_restore, s3, bucket, key)) == ("InvalidObjectState", 403)
    s3.put_object(Bucket=bucket, Key="it", Body=b"x", StorageClass="INTELLIGENT_TIERING")
    err = error_of(s3.restore_object, Bucket=bucket, Key="it", RestoreRequest={})
    assert code_status(err) == ("ObjectAlreadyInActiveTierError", 403)
    assert code_status(error_of(_restore, s3, bucket, "it")) == ("InvalidArgument", 400)

    s3.put_object(Bucket=bucket, Key="deep", Body=b"x", StorageClass="DEEP_ARCHIVE")
    assert code_status(error_of(_restore, s3, bucket, "deep", 1, "Expedited")) == ("InvalidArgument", 400)
    err = error_of(s3.restore_object, Bucket=bucket, Key="deep", RestoreRequest={"GlacierJobParameters": {"Tier": "Bulk"}})
    assert code_status(err) == ("MalformedXML", 400)  # Days is required for an archive restore
    assert code_status(error_of(_restore, s3, bucket, "deep", 0)) == ("InvalidArgument", 400)
    assert "Restore" not in s3.head_object(Bucket=bucket, Key="deep")  # nothing was started

    assert code_status(error_of(_restore, s3, bucket, "missing")) == ("NoSuchKey", 404)
    marker = s3.delete_object(Bucket=bucket, Key="deep")["VersionId"]
    assert code_status(error_of(_restore, s3, bucket, "deep")) == ("NoSuchKey", 404)
    assert code_status(error_of(_restore, s3, bucket, "deep", VersionId=marker)) == ("MethodNotAllowed", 405)


def test_copy_of_archived_object_needs_restore(pycloud, s3):
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", StorageClass="DEEP_ARCHIVE")
    source = {"Bucket": bucket, "Key": "src"}
    err = error_of(s3.copy_object, Bucket=bucket, Key="dst", CopySource=source)
    assert code_status(err) == ("InvalidObjectState", 403)
    start = server_now(pycloud)
    assert _restore(s3, bucket, "src", tier="Bulk") == 202
    advance_to(pycloud, start + timedelta(hours=48) + MARGIN)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=source)
    assert _class(s3, bucket, "dst") == "STANDARD"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"payload"
    # Copying the restored object onto itself as STANDARD makes it readable for good.
    s3.copy_object(Bucket=bucket, Key="src", CopySource=source, StorageClass="STANDARD")
    head = s3.head_object(Bucket=bucket, Key="src")
    assert "StorageClass" not in head and "Restore" not in head


def test_website_does_not_serve_archived_objects(pycloud, s3):
    bucket = unique("rs-site")
    s3.create_bucket(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                       "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<p>cold</p>", StorageClass="GLACIER")
    url = f"{pycloud.endpoint}/_website/{bucket}/page.html"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 403 and b"InvalidObjectState" in info.value.read()
    start = server_now(pycloud)
    assert _restore(s3, bucket, "page.html", tier="Expedited") == 202
    advance_to(pycloud, start + timedelta(minutes=6))
    with urllib.request.urlopen(url, timeout=10) as response:
        assert (response.status, response.read()) == (200, b"<p>cold</p>")


# -- lifecycle transitions ---------------------------------------------------------------------------


def test_transition_to_glacier_then_restore(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                        "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    s3.put_object(Bucket=bucket, Key="logs/big", Body=BIG)
    s3.put_object(Bucket=bucket, Key="logs/small", Body=b"tiny")  # under 128 KB: not transitioned
    s3.put_object(Bucket=bucket, Key="other/big", Body=BIG)  # outside the prefix
    due = lifecycle_due(s3.head_object(Bucket=bucket, Key="logs/big")["LastModified"], 1)
    advance_to(pycloud, due - MARGIN)
    assert _class(s3, bucket, "logs/big") == "STANDARD"
    assert s3.get_object(Bucket=bucket, Key="logs/big")["ContentLength"] == len(BIG)

    advance_to(pycloud, due + MARGIN)
    assert _listed(s3, bucket) == {"logs/big": "GLACIER", "logs/small": "STANDARD", "other/big": "STANDARD"}
    assert _class(s3, bucket, "logs/big") == "GLACIER"
    attributes = s3.get_object_attributes(Bucket=bucket, Key="logs/big", ObjectAttributes=["StorageClass"])
    assert attributes["StorageClass"] == "GLACIER"
    v1 = {o["Key"]: o["StorageClass"] for o in s3.list_objects(Bucket=bucket)["Contents"]}
    assert v1["logs/big"] == "GLACIER"
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="logs/big")) == ("InvalidObjectState", 403)
    err = error_of(s3.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "logs/big"})
    assert code_status(err) == ("InvalidObjectState", 403)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    err = error_of(s3.upload_part_copy, Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1,
                   CopySource={"Bucket": bucket, "Key": "logs/big"})
    assert code_status(err) == ("InvalidObjectState", 403)

    plain = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert all("RestoreStatus" not in o for o in plain)
    start = server_now(pycloud)
    assert _restore(s3, bucket, "logs/big", days=1, tier="Expedited") == 202
    listed = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket, OptionalObjectAttributes=["RestoreStatus"])
              ["Contents"]}
    assert listed["logs/big"]["RestoreStatus"] == {"IsRestoreInProgress": True}
    assert "RestoreStatus" not in listed["logs/small"]

    advance_to(pycloud, start + timedelta(minutes=6))
    assert s3.get_object(Bucket=bucket, Key="logs/big")["Body"].read() == BIG
    expiry = _expiry(s3.head_object(Bucket=bucket, Key="logs/big")["Restore"])
    listed = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket, OptionalObjectAttributes=["RestoreStatus"])
              ["Contents"]}
    assert listed["logs/big"]["RestoreStatus"] == {"IsRestoreInProgress": False, "RestoreExpiryDate": expiry}
    assert listed["logs/big"]["StorageClass"] == "GLACIER"

    advance_to(pycloud, expiry + MARGIN)
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="logs/big")) == ("InvalidObjectState", 403)
    assert _class(s3, bucket, "logs/big") == "GLACIER"


def test_transitions_walk_the_waterfall(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "tiers", "Status": "Enabled", "Filter": {},
                        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"},
                                        {"Days": 60, "StorageClass": "GLACIER_IR"},
                                        {"Days": 120, "StorageClass": "DEEP_ARCHIVE"}]})
    s3.put_object(Bucket=bucket, Key="k", Body=BIG)
    s3.put_object(Bucket=bucket, Key="already-cold", Body=BIG, StorageClass="GLACIER")
    s3.put_object(Bucket=bucket, Key="express", Body=BIG, StorageClass="ONEZONE_IA")
    created = s3.head_object(Bucket=bucket, Key="k")["LastModified"]
    advance_to(pycloud, lifecycle_due(created, 30) + MARGIN)
    assert _listed(s3, bucket) == {"k": "STANDARD_IA", "already-cold": "GLACIER", "express": "ONEZONE_IA"}
    assert s3.get_object(Bucket=bucket, Key="k")["StorageClass"] == "STANDARD_IA"

    advance_to(pycloud, lifecycle_due(created, 60) + MARGIN)
    # GLACIER_IR never follows ONEZONE_IA, and nothing moves back up from GLACIER.
    assert _listed(s3, bucket) == {"k": "GLACIER_IR", "already-cold": "GLACIER", "express": "ONEZONE_IA"}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == BIG  # Instant Retrieval reads directly
    assert code_status(error_of(_restore, s3, bucket, "k")) == ("InvalidObjectState", 403)

    advance_to(pycloud, lifecycle_due(created, 120) + MARGIN)
    assert _listed(s3, bucket) == {"k": "DEEP_ARCHIVE", "already-cold": "DEEP_ARCHIVE", "express": "DEEP_ARCHIVE"}
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="k")) == ("InvalidObjectState", 403)


def test_overdue_transition_goes_straight_to_the_furthest_class(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "tiers", "Status": "Enabled", "Filter": {"Prefix": ""},
                        "Transitions": [{"Days": 1, "StorageClass": "GLACIER"},
                                        {"Days": 3, "StorageClass": "DEEP_ARCHIVE"}]})
    s3.put_object(Bucket=bucket, Key="k", Body=BIG)
    advance_to(pycloud, lifecycle_due(s3.head_object(Bucket=bucket, Key="k")["LastModified"], 3) + MARGIN)
    assert _class(s3, bucket, "k") == "DEEP_ARCHIVE"


def test_minimum_object_size_and_size_filters(pycloud, s3):
    small = b"s" * 1000
    default = _bucket(s3)
    _rules(s3, default, {"ID": "ia", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    varies = _bucket(s3)
    _rules(s3, varies, {"ID": "g", "Status": "Enabled", "Filter": {"Prefix": "g"},
                        "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]},
           {"ID": "ir", "Status": "Enabled", "Filter": {"Prefix": "ir"},
            "Transitions": [{"Days": 1, "StorageClass": "GLACIER_IR"}]}, min_size="varies_by_storage_class")
    custom = _bucket(s3)
    _rules(s3, custom, {"ID": "sized", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 100},
                        "Transitions": [{"Days": 1, "StorageClass": "GLACIER_IR"}]})
    s3.put_object(Bucket=default, Key="small", Body=small)
    for key in ("g-small", "ir-small"):
        s3.put_object(Bucket=varies, Key=key, Body=small)
    s3.put_object(Bucket=custom, Key="small", Body=small)
    s3.put_object(Bucket=custom, Key="tiny", Body=b"1")
    newest = s3.head_object(Bucket=custom, Key="tiny")["LastModified"]
    advance_to(pycloud, lifecycle_due(newest, 1) + MARGIN)
    assert _listed(s3, default) == {"small": "STANDARD"}
    assert _listed(s3, varies) == {"g-small": "GLACIER", "ir-small": "STANDARD"}
    assert _listed(s3, custom) == {"small": "GLACIER_IR", "tiny": "STANDARD"}


def test_date_transition_and_tag_filter(pycloud, s3):
    bucket = _bucket(s3)
    date = lifecycle_due(server_now(pycloud), 2)
    _rules(s3, bucket, {"ID": "dated", "Status": "Enabled", "Filter": {"Tag": {"Key": "tier", "Value": "cold"}},
                        "Transitions": [{"Date": date, "StorageClass": "GLACIER"}]})
    s3.put_object(Bucket=bucket, Key="tagged", Body=BIG, Tagging="tier=cold")
    s3.put_object(Bucket=bucket, Key="plain", Body=BIG)
    advance_to(pycloud, date - MARGIN)
    assert _listed(s3, bucket) == {"tagged": "STANDARD", "plain": "STANDARD"}
    advance_to(pycloud, date + MARGIN)
    assert _listed(s3, bucket) == {"tagged": "GLACIER", "plain": "STANDARD"}


def test_overwrite_of_transitioned_object_starts_fresh(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "a", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    s3.put_object(Bucket=bucket, Key="k", Body=BIG)
    advance_to(pycloud, lifecycle_due(s3.head_object(Bucket=bucket, Key="k")["LastModified"], 1) + MARGIN)
    assert _class(s3, bucket, "k") == "GLACIER"
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")  # the same "null" version id, a new object
    assert _class(s3, bucket, "k") == "STANDARD"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def test_noncurrent_version_transitions(pycloud, s3):
    bucket = _bucket(s3, versioned=True)
    _rules(s3, bucket, {"ID": "old", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 0},
                        "NoncurrentVersionTransitions": [{"NoncurrentDays": 1, "StorageClass": "GLACIER",
                                                          "NewerNoncurrentVersions": 1}]})
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    modified = {v["VersionId"]: v["LastModified"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]}
    # ids[0] is the older of the two noncurrent versions (the newest one is kept); noncurrent since ids[1].
    advance_to(pycloud, lifecycle_due(modified[ids[1]], 1) - MARGIN)
    assert _class(s3, bucket, "k", VersionId=ids[0]) == "STANDARD"
    advance_to(pycloud, lifecycle_due(modified[ids[2]], 1) + MARGIN)
    classes = {v["VersionId"]: v["StorageClass"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]}
    assert classes == {ids[0]: "GLACIER", ids[1]: "STANDARD", ids[2]: "STANDARD"}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"
    err = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId=ids[0])
    assert code_status(err) == ("InvalidObjectState", 403)
    assert code_status(error_of(_restore, s3, bucket, "k")) == ("InvalidObjectState", 403)  # current is STANDARD
    start = server_now(pycloud)
    assert _restore(s3, bucket, "k", tier="Expedited", VersionId=ids[0]) == 202
    listing = s3.list_object_versions(Bucket=bucket, OptionalObjectAttributes=["RestoreStatus"])["Versions"]
    assert {v["VersionId"]: v.get("RestoreStatus") for v in listing} == {
        ids[0]: {"IsRestoreInProgress": True}, ids[1]: None, ids[2]: None}
    advance_to(pycloud, start + timedelta(minutes=6))
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=ids[0])["Body"].read() == b"v0"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[0])
    assert ids[0] not in {v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]}


# -- the periodic pass -------------------------------------------------------------------------------


def test_periodic_pass_runs_without_clock_advances(client):
    with PycloudServer(env={"PYCLOUD_S3_LIFECYCLE_INTERVAL": "0.1"}) as server:
        server.admin("POST", "/_pycloud/accounts", {"id": ACCOUNT, "access_key": KEY_ID, "secret_key": SECRET})
        s3 = server.client("s3", access_key=KEY_ID, secret_key=SECRET)
        bucket = _bucket(s3)
        s3.put_object(Bucket=bucket, Key="k", Body=BIG)
        # A transition date already past: due at once, yet no clock advance ever happens here.
        _rules(s3, bucket, {"ID": "past", "Status": "Enabled", "Filter": {},
                            "Transitions": [{"Date": datetime(2020, 1, 1, tzinfo=UTC), "StorageClass": "GLACIER"}]})
        deadline = time.monotonic() + 10
        while _class(s3, bucket, "k") != "GLACIER" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _class(s3, bucket, "k") == "GLACIER"
        assert server.admin("GET", "/_pycloud/clock")["offset_seconds"] == 0
        assert server.stop(timeout=10) == 0  # the timer does not hold the process up


# -- event notifications -----------------------------------------------------------------------------


@pytest.fixture
def live():
    """The real app on a loop thread of this process, with a clock of its own; yields (s3, received, advance)."""
    app = ephemeral_app()
    app.runtime.clock = Clock()  # advancing it must not move the process clock other tests share
    received: list[S3Notification] = []
    app.runtime.events.subscribe(S3_NOTIFICATION_TOPIC, received.append)
    with serving(app) as endpoint:
        s3 = app_client(endpoint, "s3", region="us-east-1")

        def advance(seconds: float) -> None:
            body = f'{{"seconds": {seconds}}}'.encode()
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_pycloud/clock/advance", data=body,
                                                          method="POST"), timeout=30).read()

        yield s3, received, advance, app.runtime.clock


def test_restore_and_transition_events(live):
    s3, received, advance, clock = live
    s3.create_bucket(Bucket="evt")
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    s3.put_bucket_notification_configuration(Bucket="evt", NotificationConfiguration={"QueueConfigurations": [
        {"Id": "cold", "QueueArn": queue, "Events": ["s3:ObjectRestore:*", "s3:LifecycleTransition"]}]})
    _rules(s3, "evt", {"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "t"},
                      "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    etag = s3.put_object(Bucket="evt", Key="t1", Body=BIG)["ETag"].strip('"')
    received.clear()  # the s3:TestEvent

    advance(2 * DAY)
    [transition] = [n.record for n in received]
    assert transition["eventName"] == "LifecycleTransition"
    assert transition["userIdentity"] == {"principalId": "s3.amazonaws.com"}
    assert transition["lifecycleEventData"] == {"transitionEventData": {"destinationStorageClass": "GLACIER"}}
    assert transition["s3"]["object"]["key"] == "t1" and transition["s3"]["object"]["eTag"] == etag

    received.clear()
    assert _restore(s3, "evt", "t1", days=1, tier="Expedited") == 202
    [posted] = [n.record for n in received]
    assert posted["eventName"] == "ObjectRestore:Post"
    assert posted["userIdentity"]["principalId"] != "s3.amazonaws.com"
    assert posted["s3"]["object"]["size"] == len(BIG)

    received.clear()
    advance(10 * 60)
    [completed] = [n.record for n in received]
    assert completed["eventName"] == "ObjectRestore:Completed"
    expiry = _expiry(s3.head_object(Bucket="evt", Key="t1")["Restore"])
    restore_data = completed["glacierEventData"]["restoreEventData"]
    assert restore_data["lifecycleRestoreStorageClass"] == "GLACIER"
    assert restore_data["lifecycleRestorationExpiryTime"] == expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    received.clear()
    advance((expiry - datetime.fromtimestamp(clock.time(), UTC)).total_seconds() + 60)
    assert [n.record["eventName"] for n in received] == ["ObjectRestore:Delete"]
    assert code_status(error_of(s3.get_object, Bucket="evt", Key="t1")) == ("InvalidObjectState", 403)
