"""S3 rule-bearing bucket configurations through boto3: CORS, website, lifecycle, notification, logging."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from botocore.config import Config
from s3_helpers import BUCKET_TESTS_ACCOUNT, account_client_fixture, code_status, error_of

QUEUE = "arn:aws:sqs:us-east-1:000000000000:events"
TOPIC = "arn:aws:sns:us-east-1:000000000000:events"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:handler"

client = account_client_fixture(*BUCKET_TESTS_ACCOUNT)


@pytest.fixture
def s3(client):
    return client()


@pytest.fixture
def raw(client):
    """A client that skips botocore's own parameter checks, so the server's are what is tested."""
    return client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = f"rules-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


# -- CORS ---------------------------------------------------------------------------------------


def test_cors_round_trip(s3, bucket):
    err = error_of(s3.get_bucket_cors, Bucket=bucket)
    assert code_status(err) == ("NoSuchCORSConfiguration", 404)
    assert err.response["Error"]["BucketName"] == bucket
    rules = [
        {
            "ID": "web",
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedOrigins": ["https://*.example.com"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        },
        {"AllowedMethods": ["HEAD"], "AllowedOrigins": ["*"]},
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    assert code_status(error_of(s3.get_bucket_cors, Bucket=bucket)) == ("NoSuchCORSConfiguration", 404)


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([{"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}], "InvalidRequest"),
        ([{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://*.*.example.com"]}], "InvalidRequest"),
        ([{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "AllowedHeaders": ["x-*-*"]}], "InvalidRequest"),
        ([{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}] * 101, "MalformedXML"),
        ([], "MalformedXML"),
    ],
)
def test_cors_invalid(raw, bucket, rules, code):
    err = error_of(raw.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert code_status(err) == (code, 400)


# -- website ------------------------------------------------------------------------------------


def test_website_round_trip(s3, bucket):
    err = error_of(s3.get_bucket_website, Bucket=bucket)
    assert code_status(err) == ("NoSuchWebsiteConfiguration", 404)
    config = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
            {
                "Condition": {"HttpErrorCodeReturnedEquals": "404"},
                "Redirect": {"HostName": "example.com", "HttpRedirectCode": "302"},
            },
        ],
    }
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    got = s3.get_bucket_website(Bucket=bucket)
    assert {k: got[k] for k in config} == config
    s3.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "example.org", "Protocol": "https"}}
    )
    assert s3.get_bucket_website(Bucket=bucket)["RedirectAllRequestsTo"] == {
        "HostName": "example.org",
        "Protocol": "https",
    }
    s3.delete_bucket_website(Bucket=bucket)
    assert code_status(error_of(s3.get_bucket_website, Bucket=bucket)) == ("NoSuchWebsiteConfiguration", 404)


@pytest.mark.parametrize(
    ("config", "code"),
    [
        ({"ErrorDocument": {"Key": "e.html"}}, "InvalidArgument"),
        ({"IndexDocument": {"Suffix": "a/index.html"}}, "InvalidArgument"),
        ({"IndexDocument": {"Suffix": ""}}, "InvalidArgument"),
        ({"RedirectAllRequestsTo": {"HostName": "x.com"}, "IndexDocument": {"Suffix": "i.html"}}, "InvalidRequest"),
        ({"RedirectAllRequestsTo": {"HostName": "x.com", "Protocol": "ftp"}}, "InvalidArgument"),
        (
            {
                "IndexDocument": {"Suffix": "i.html"},
                "RoutingRules": [{"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}],
            },
            "InvalidRequest",
        ),
        (
            {"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [{"Redirect": {"HttpRedirectCode": "200"}}]},
            "InvalidArgument",
        ),
        (
            {
                "IndexDocument": {"Suffix": "i.html"},
                "RoutingRules": [{"Condition": {"HttpErrorCodeReturnedEquals": "200"}, "Redirect": {"HostName": "x"}}],
            },
            "InvalidArgument",
        ),
        ({"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [{"Redirect": {}}]}, "MalformedXML"),
    ],
)
def test_website_invalid(raw, bucket, config, code):
    err = error_of(raw.put_bucket_website, Bucket=bucket, WebsiteConfiguration=config)
    assert code_status(err) == (code, 400)


# -- lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_round_trip(s3, bucket):
    err = error_of(s3.get_bucket_lifecycle_configuration, Bucket=bucket)
    assert code_status(err) == ("NoSuchLifecycleConfiguration", 404)
    assert err.response["Error"]["BucketName"] == bucket
    rules = [
        {
            "ID": "archive",
            "Status": "Enabled",
            "Filter": {
                "And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}], "ObjectSizeGreaterThan": 1024}
            },
            "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
            "Expiration": {"Days": 365},
        },
        {
            "ID": "versions",
            "Status": "Disabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionTransitions": [
                {"NoncurrentDays": 30, "StorageClass": "GLACIER_IR", "NewerNoncurrentVersions": 2}
            ],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 60},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        },
        {
            "ID": "dated",
            "Status": "Enabled",
            "Filter": {"Tag": {"Key": "k", "Value": "v"}},
            "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
        },
    ]
    put = s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == rules
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert code_status(error_of(s3.get_bucket_lifecycle_configuration, Bucket=bucket)) == (
        "NoSuchLifecycleConfiguration",
        404,
    )


def test_lifecycle_generates_ids_and_min_size(s3, bucket):
    put = s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        TransitionDefaultMinimumObjectSize="varies_by_storage_class",
        LifecycleConfiguration={"Rules": [{"Status": "Enabled", "Prefix": "tmp/", "Expiration": {"Days": 1}}]},
    )
    assert put["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["ID"] and rule["Prefix"] == "tmp/"


def _rule(**fields):
    return {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, **fields}


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ([_rule(ID="x" * 256, Expiration={"Days": 1})], "InvalidArgument"),
        ([_rule(Expiration={"Days": 1}), _rule(Expiration={"Days": 2})], "InvalidArgument"),
        ([_rule(Status="On", Expiration={"Days": 1})], "MalformedXML"),
        ([_rule()], "InvalidRequest"),
        ([{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1}}], "MalformedXML"),
        ([_rule(Prefix="a", Expiration={"Days": 1})], "MalformedXML"),
        ([_rule(Filter={"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}}, Expiration={"Days": 1})], "MalformedXML"),
        ([_rule(Expiration={"Days": 0})], "InvalidArgument"),
        ([_rule(Expiration={"Days": 1, "ExpiredObjectDeleteMarker": True})], "MalformedXML"),
        ([_rule(Expiration={"Date": datetime(2030, 1, 1, 12, tzinfo=UTC)})], "InvalidArgument"),
        (
            [_rule(Filter={"Tag": {"Key": "k", "Value": "v"}}, Expiration={"ExpiredObjectDeleteMarker": True})],
            "InvalidRequest",
        ),
        ([_rule(Transitions=[{"Days": 10, "StorageClass": "STANDARD_IA"}])], "InvalidArgument"),
        (
            [_rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 60, "StorageClass": "STANDARD_IA"}])],
            "InvalidArgument",
        ),
        (
            [_rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 40, "StorageClass": "GLACIER"}])],
            "InvalidArgument",
        ),
        (
            [_rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 60, "StorageClass": "GLACIER"}])],
            "InvalidRequest",
        ),
        ([_rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}], Expiration={"Days": 20})], "InvalidArgument"),
        ([_rule(Transitions=[{"Days": 30, "StorageClass": "TAPE"}])], "MalformedXML"),
        (
            [
                _rule(
                    Transitions=[
                        {"Days": 30, "StorageClass": "GLACIER"},
                        {"Date": datetime(2030, 1, 1, tzinfo=UTC), "StorageClass": "DEEP_ARCHIVE"},
                    ]
                )
            ],
            "InvalidRequest",
        ),
        ([_rule(NoncurrentVersionExpiration={"NoncurrentDays": 0})], "InvalidArgument"),
        ([_rule(NoncurrentVersionExpiration={"NoncurrentDays": 5, "NewerNoncurrentVersions": 101})], "InvalidArgument"),
        (
            [_rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 5, "StorageClass": "ONEZONE_IA"}])],
            "InvalidArgument",
        ),
        ([_rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})], "InvalidArgument"),
        (
            [
                _rule(
                    Filter={"Tag": {"Key": "k", "Value": "v"}},
                    AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1},
                )
            ],
            "InvalidRequest",
        ),
        (
            [
                _rule(Filter={"ObjectSizeGreaterThan": 10}, Expiration={"Days": 1}),
                *[_rule(ID=f"r{i}", Expiration={"Days": 1}) for i in range(1000)],
            ],
            "MalformedXML",
        ),
    ],
)
def test_lifecycle_invalid(raw, bucket, rules, code):
    err = error_of(raw.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert code_status(err) == (code, 400)


def test_lifecycle_bad_minimum_size(raw, bucket):
    err = error_of(
        raw.put_bucket_lifecycle_configuration,
        Bucket=bucket,
        TransitionDefaultMinimumObjectSize="tiny",
        LifecycleConfiguration={"Rules": [_rule(Expiration={"Days": 1})]},
    )
    assert code_status(err) == ("InvalidRequest", 400)


# -- notification -------------------------------------------------------------------------------


def test_notification_round_trip(s3, bucket):
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    config = {
        "QueueConfigurations": [
            {
                "Id": "uploads",
                "QueueArn": QUEUE,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}]}
                },
            }
        ],
        "TopicConfigurations": [{"Id": "deletes", "TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:Delete"]}],
        "LambdaFunctionConfigurations": [
            {
                "LambdaFunctionArn": FUNCTION,
                "Events": ["s3:ObjectCreated:Put"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "out/"}]}},
            }
        ],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == config["QueueConfigurations"]
    assert got["TopicConfigurations"] == config["TopicConfigurations"]
    assert got["LambdaFunctionConfigurations"][0]["Id"]  # generated
    assert got["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == FUNCTION
    assert got["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    cleared = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k in cleared for k in ("QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations"))


@pytest.mark.parametrize(
    "config",
    [
        {"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectEaten:*"]}]},
        {"QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]},
        {"TopicConfigurations": [{"TopicArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]},
        {
            "QueueConfigurations": [
                {
                    "QueueArn": QUEUE,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}},
                }
            ]
        },
        {
            "QueueConfigurations": [
                {
                    "QueueArn": QUEUE,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": "a"}, {"Name": "prefix", "Value": "b"}]}
                    },
                }
            ]
        },
        {
            "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}],
            "TopicConfigurations": [{"TopicArn": TOPIC, "Events": ["s3:ObjectCreated:Put"]}],
        },
    ],
)
def test_notification_invalid(raw, bucket, config):
    err = error_of(raw.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration=config)
    assert code_status(err) == ("InvalidArgument", 400)


def test_notification_disjoint_filters_do_not_overlap(s3, bucket):
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": QUEUE,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}},
            },
            {
                "QueueArn": QUEUE,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b/"}]}},
            },
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert len(s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 2


# -- logging ------------------------------------------------------------------------------------


def test_logging_round_trip_and_errors(s3, bucket, client):
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    target = f"logs-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=target)
    enabled = {"TargetBucket": target, "TargetPrefix": "access/"}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": enabled})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == enabled
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)

    missing = {"TargetBucket": f"nope-{uuid.uuid4().hex[:12]}", "TargetPrefix": "x/"}
    err = error_of(s3.put_bucket_logging, Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": missing})
    assert code_status(err) == ("InvalidTargetBucketForLogging", 400)
    assert err.response["Error"]["TargetBucket"] == missing["TargetBucket"]

    eu_target = f"logs-eu-{uuid.uuid4().hex[:12]}"
    client(region="eu-west-1").create_bucket(
        Bucket=eu_target, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    err = error_of(
        s3.put_bucket_logging,
        Bucket=bucket,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": eu_target, "TargetPrefix": ""}},
    )
    assert code_status(err) == ("CrossLocationLoggingProhibited", 403)
