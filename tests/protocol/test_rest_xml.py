"""rest-xml round trips through real botocore clients (S3, Route 53), without a server."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from botocore_roundtrip import StreamingRoundtrip, rest_call

from pycloud.protocol import get_protocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest
from pycloud.protocol.rest_xml import RestXmlProtocol

PROTO = RestXmlProtocol()
NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)


@pytest.fixture(scope="module")
def s3() -> StreamingRoundtrip:
    return StreamingRoundtrip("s3")


def call(rt, operation: str, params: dict, result: dict | None = None, error: ServiceError | None = None):
    """Send through botocore, route, parse, answer; returns (params, client result or ClientError, response)."""
    return rest_call(PROTO, rt, operation, params, result, error)


def test_registry_returns_rest_xml():
    assert isinstance(get_protocol("rest-xml"), RestXmlProtocol)


def test_list_buckets(s3):
    result = {
        "Buckets": [{"Name": "a", "CreationDate": NOW}, {"Name": "b", "CreationDate": NOW.timestamp()}],
        "Owner": {"ID": "owner-id", "DisplayName": "me"},
    }
    params, out, response = call(s3, "ListBuckets", {}, result)
    assert params == {}
    assert out["Buckets"] == [{"Name": "a", "CreationDate": NOW}, {"Name": "b", "CreationDate": NOW}]
    assert out["Owner"] == {"ID": "owner-id", "DisplayName": "me"}
    body = response.body.decode()
    assert '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in body
    assert "<CreationDate>2024-05-06T07:08:09.123Z</CreationDate>" in body
    assert response.get_header("x-amz-request-id") == "req-1"
    assert response.get_header("x-amz-id-2")


def test_create_bucket_with_configuration(s3):
    params, out, response = call(
        s3,
        "CreateBucket",
        {"Bucket": "my-bucket", "ACL": "private", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
        {"Location": "/my-bucket"},
    )
    assert params == {
        "Bucket": "my-bucket",
        "ACL": "private",
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
    }
    assert out == {"Location": "/my-bucket"}
    assert response.body == b""


def test_put_object_headers_metadata_checksums_and_body(s3):
    params, out, _ = call(
        s3,
        "PutObject",
        {
            "Bucket": "b",
            "Key": "dir/a b+c€%.txt",
            "Body": b"hello world",
            "Metadata": {"colour": "blue", "Owner": "x"},
            "ContentMD5": "XrY7u+Ae7tCTyyK7j1rNww==",
            "ContentType": "text/plain",
            "ChecksumSHA256": "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            "Expires": NOW,
            "ObjectLockRetainUntilDate": NOW,
            "StorageClass": "STANDARD_IA",
        },
        {"ETag": '"5eb63bbbe01eeed093cb22bb8f5acdc3"', "VersionId": "v1", "ChecksumSHA256": "abc="},
    )
    assert params["Bucket"] == "b"
    assert params["Key"] == "dir/a b+c€%.txt"
    assert params["Body"] == b"hello world"
    assert params["Metadata"] == {"colour": "blue", "owner": "x"}
    assert params["ContentMD5"] == "XrY7u+Ae7tCTyyK7j1rNww=="
    assert params["ContentType"] == "text/plain"
    assert params["ContentLength"] == 11
    assert params["ChecksumSHA256"] == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
    assert params["Expires"] == "Mon, 06 May 2024 07:08:09 GMT"  # a string shape in current models
    # timestampFormat iso8601 overrides the header default (botocore sends whole seconds)
    assert params["ObjectLockRetainUntilDate"] == NOW.replace(microsecond=0)
    assert params["StorageClass"] == "STANDARD_IA"
    assert out == {"ETag": '"5eb63bbbe01eeed093cb22bb8f5acdc3"', "VersionId": "v1", "ChecksumSHA256": "abc="}


class _Stream(BodyStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def read(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def test_streaming_body_is_handed_over_unread(s3):
    stream = _Stream([b"ab", b"cd"])
    request = HttpRequest("PUT", "/b/k", headers={"content-length": "4"}, stream=stream)
    params = PROTO.parse(s3.model, "PutObject", request)
    assert params["Body"] is stream
    assert params["ContentLength"] == 4
    # Without a stream, the buffered body is the payload (empty bodies included).
    assert PROTO.parse(s3.model, "PutObject", HttpRequest("PUT", "/b/k"))["Body"] == b""


def test_get_object_range_and_streamed_response(s3):
    async def chunks():
        yield b"hel"
        yield b"lo"

    body_iter = chunks()
    result = {
        "Body": body_iter,
        "ContentLength": 5,
        "ContentRange": "bytes 0-4/10",
        "ContentType": "text/plain",
        "ETag": '"e"',
        "LastModified": NOW,
        "Metadata": {"colour": "blue"},
        "AcceptRanges": "bytes",
        "TagCount": 2,
        "DeleteMarker": False,
    }
    response = PROTO.serialize(s3.model, "GetObject", result, "req-1")
    assert response.body is body_iter  # passed through, not buffered
    assert response.status == 200

    params, out, response = call(
        s3, "GetObject", {"Bucket": "b", "Key": "k", "Range": "bytes=0-4", "ResponseContentType": "text/plain"}, result
    )
    assert params == {
        "Bucket": "b",
        "Key": "k",
        "Range": "bytes=0-4",
        "ResponseContentType": "text/plain",
        "ChecksumMode": "ENABLED",  # botocore asks for response checksums by default
    }
    assert out["Body"].read() == b"hello"
    assert out["ContentLength"] == 5
    assert out["ContentRange"] == "bytes 0-4/10"
    assert out["LastModified"] == NOW.replace(microsecond=0)
    assert out["Metadata"] == {"colour": "blue"}
    assert out["TagCount"] == 2
    assert out["DeleteMarker"] is False
    assert response.get_header("Last-Modified") == "Mon, 06 May 2024 07:08:09 GMT"
    assert response.get_header("x-amz-meta-colour") == "blue"


def test_non_ascii_and_multiline_header_values_are_made_wire_safe(s3):
    result = {"Body": b"", "Metadata": {"name": "café", "evil": "a\r\nSet-Cookie: x"}}
    response = PROTO.serialize(s3.model, "GetObject", result, "req-1")
    assert response.get_header("x-amz-meta-name") == "=?UTF-8?B?Y2Fmw6k=?="
    assert response.get_header("x-amz-meta-evil") == "a  Set-Cookie: x"


def test_list_objects_v2(s3):
    result = {
        "Name": "b",
        "Prefix": "a/",
        "Delimiter": "/",
        "MaxKeys": 2,
        "KeyCount": 2,
        "IsTruncated": True,
        "NextContinuationToken": "tok",
        "Contents": [
            {"Key": "a/1", "LastModified": NOW, "ETag": '"x"', "Size": 3, "StorageClass": "STANDARD"},
            {"Key": "a/2 & <3>", "LastModified": NOW, "ETag": '"y"', "Size": 0, "StorageClass": "STANDARD"},
        ],
        "CommonPrefixes": [{"Prefix": "a/x/"}, {"Prefix": "a/y/"}],
    }
    params, out, response = call(
        s3,
        "ListObjectsV2",
        {"Bucket": "b", "Prefix": "a/", "Delimiter": "/", "MaxKeys": 2, "FetchOwner": True, "StartAfter": "a/0"},
        result,
    )
    assert params == {
        "Bucket": "b",
        "Prefix": "a/",
        "Delimiter": "/",
        "MaxKeys": 2,
        "FetchOwner": True,
        "StartAfter": "a/0",
        "EncodingType": "url",  # botocore asks for url-encoded keys by default
    }
    assert out["Contents"] == result["Contents"]
    assert out["CommonPrefixes"] == result["CommonPrefixes"]
    assert out["IsTruncated"] is True and out["NextContinuationToken"] == "tok" and out["KeyCount"] == 2
    body = response.body.decode()
    assert body.count("<CommonPrefixes>") == 2  # flattened list: one element per item, no wrapper
    assert "<ListBucketResult " in body and "a/2 &amp; &lt;3&gt;" in body


def test_bad_query_integer_is_invalid_argument(s3):
    request = HttpRequest("GET", "/b", query={"list-type": ["2"], "max-keys": ["many"]})
    with pytest.raises(ServiceError) as info:
        PROTO.parse(s3.model, "ListObjectsV2", request)
    assert (info.value.code, info.value.status) == ("InvalidArgument", 400)


def test_bad_header_values_are_invalid_argument(s3):
    for header, value in [("x-amz-object-lock-retain-until-date", "yesterday"), ("content-length", "ten")]:
        request = HttpRequest("PUT", "/b/k", headers={header: value})
        with pytest.raises(ServiceError) as info:
            PROTO.parse(s3.model, "PutObject", request)
        assert info.value.code == "InvalidArgument"


def test_delete_objects_xml_list_body(s3):
    params, out, _ = call(
        s3,
        "DeleteObjects",
        {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}], "Quiet": False}},
        {
            "Deleted": [{"Key": "a"}],
            "Errors": [{"Key": "b", "VersionId": "v", "Code": "AccessDenied", "Message": "Access Denied"}],
        },
    )
    assert params["Delete"] == {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v"}], "Quiet": False}
    assert out["Deleted"] == [{"Key": "a"}]
    assert out["Errors"] == [{"Key": "b", "VersionId": "v", "Code": "AccessDenied", "Message": "Access Denied"}]


def test_bucket_tagging_round_trip(s3):
    tags = [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a&b"}]
    params, _, _ = call(s3, "PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": tags}})
    assert params["Tagging"] == {"TagSet": tags}
    _, out, response = call(s3, "GetBucketTagging", {"Bucket": "b"}, {"TagSet": tags})
    assert out["TagSet"] == tags
    assert response.body.decode().count("<Tag>") == 2


def test_acl_grantee_xml_attribute(s3):
    grants = [
        {"Grantee": {"Type": "CanonicalUser", "ID": "abc", "DisplayName": "me"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
    ]
    _, out, response = call(s3, "GetBucketAcl", {"Bucket": "b"}, {"Owner": {"ID": "abc"}, "Grants": grants})
    assert out["Grants"] == grants
    body = response.body.decode()
    assert '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">' in body
    assert "<AccessControlPolicy " in body and "<AccessControlList><Grant>" in body
    # ... and the attribute is read back from request bodies.
    params, _, _ = call(
        s3, "PutBucketAcl", {"Bucket": "b", "AccessControlPolicy": {"Owner": {"ID": "abc"}, "Grants": grants}}
    )
    assert params["AccessControlPolicy"]["Grants"] == grants


def test_copy_object(s3):
    params, out, response = call(
        s3,
        "CopyObject",
        {"Bucket": "b", "Key": "dst", "CopySource": "src/a b", "MetadataDirective": "REPLACE", "Metadata": {"k": "v"}},
        {"CopyObjectResult": {"ETag": '"e"', "LastModified": NOW}, "VersionId": "v2"},
    )
    assert params["CopySource"] == "src/a%20b"  # botocore url-quotes it; the provider decodes
    assert params["MetadataDirective"] == "REPLACE" and params["Metadata"] == {"k": "v"}
    assert out["CopyObjectResult"] == {"ETag": '"e"', "LastModified": NOW}
    assert out["VersionId"] == "v2"
    assert b"<CopyObjectResult " in response.body


def test_multipart_upload_operations(s3):
    params, out, response = call(
        s3,
        "CreateMultipartUpload",
        {"Bucket": "b", "Key": "big", "ContentType": "video/mp4"},
        {"Bucket": "b", "Key": "big", "UploadId": "up-1"},
    )
    assert params == {"Bucket": "b", "Key": "big", "ContentType": "video/mp4"}
    assert out == {"Bucket": "b", "Key": "big", "UploadId": "up-1"}
    assert b"<InitiateMultipartUploadResult " in response.body

    params, out, _ = call(
        s3,
        "UploadPart",
        {"Bucket": "b", "Key": "big", "UploadId": "up-1", "PartNumber": 3, "Body": b"part"},
        {"ETag": '"p3"'},
    )
    assert params["PartNumber"] == 3 and params["UploadId"] == "up-1" and params["Body"] == b"part"
    assert out == {"ETag": '"p3"'}

    params, out, _ = call(
        s3,
        "UploadPartCopy",
        {
            "Bucket": "b",
            "Key": "big",
            "UploadId": "up-1",
            "PartNumber": 4,
            "CopySource": "src/k",
            "CopySourceRange": "bytes=0-9",
        },
        {"CopyPartResult": {"ETag": '"p4"', "LastModified": NOW}},
    )
    assert params["CopySourceRange"] == "bytes=0-9" and params["PartNumber"] == 4
    assert out["CopyPartResult"] == {"ETag": '"p4"', "LastModified": NOW}

    parts = [{"PartNumber": 1, "ETag": '"p1"'}, {"PartNumber": 2, "ETag": '"p2"'}]
    params, out, _ = call(
        s3,
        "CompleteMultipartUpload",
        {"Bucket": "b", "Key": "big", "UploadId": "up-1", "MultipartUpload": {"Parts": parts}},
        {"Location": "http://x/b/big", "Bucket": "b", "Key": "big", "ETag": '"all-2"'},
    )
    assert params["UploadId"] == "up-1" and params["MultipartUpload"] == {"Parts": parts}
    assert out["ETag"] == '"all-2"'

    _, out, _ = call(
        s3,
        "ListParts",
        {"Bucket": "b", "Key": "big", "UploadId": "up-1", "MaxParts": 10},
        {
            "Bucket": "b",
            "Key": "big",
            "UploadId": "up-1",
            "IsTruncated": False,
            "Parts": [{"PartNumber": 1, "ETag": '"p1"', "Size": 5, "LastModified": NOW}],
        },
    )
    assert out["Parts"] == [{"PartNumber": 1, "ETag": '"p1"', "Size": 5, "LastModified": NOW}]

    params, out, response = call(s3, "AbortMultipartUpload", {"Bucket": "b", "Key": "big", "UploadId": "up-1"}, {})
    assert params["UploadId"] == "up-1"
    assert response.status == 204


def test_head_object(s3):
    result = {"ContentLength": 1234, "ETag": '"e"', "LastModified": NOW, "Metadata": {"a": "1"}, "ContentType": "x/y"}
    params, out, response = call(s3, "HeadObject", {"Bucket": "b", "Key": "k", "VersionId": "v"}, result)
    assert params == {"Bucket": "b", "Key": "k", "VersionId": "v"}
    assert out["ContentLength"] == 1234 and out["Metadata"] == {"a": "1"} and out["ContentType"] == "x/y"
    assert response.body == b""
    assert response.get_header("Content-Length") == "1234"


def test_head_object_404_has_no_body(s3):
    _, err, response = call(
        s3,
        "HeadObject",
        {"Bucket": "b", "Key": "k"},
        error=ServiceError("NoSuchKey", "The specified key does not exist.", 404),
    )
    assert response.body == b""
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.response["Error"]["Code"] == "404"  # what S3 HEAD errors look like to botocore


def test_get_bucket_location(s3):
    _, out, response = call(s3, "GetBucketLocation", {"Bucket": "b"}, {"LocationConstraint": None})
    assert out["LocationConstraint"] is None
    assert response.body.endswith(b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>')
    _, out, _ = call(s3, "GetBucketLocation", {"Bucket": "b"}, {"LocationConstraint": "eu-west-1"})
    assert out["LocationConstraint"] == "eu-west-1"


def test_s3_error_document(s3):
    error = ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": "k&1"})
    _, err, response = call(s3, "GetObject", {"Bucket": "b", "Key": "k&1"}, error=error)
    assert err.response["Error"]["Code"] == "NoSuchKey"
    assert err.response["Error"]["Message"] == "The specified key does not exist."
    assert err.response["Error"]["Key"] == "k&1"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.response["ResponseMetadata"]["RequestId"] == "req-1"
    assert response.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>')
    assert b"<Key>k&amp;1</Key>" in response.body and b"<HostId>" in response.body


BAD_BODIES = {
    "not xml": b"<CreateBucketConfiguration><LocationConstraint>eu",
    "xxe": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<CreateBucketConfiguration><LocationConstraint>&x;</LocationConstraint></CreateBucketConfiguration>",
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]><CreateBucketConfiguration><LocationConstraint>&lol9;</LocationConstraint></CreateBucketConfiguration>",
    "bad boolean": b"<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>",
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_xml(s3, case):
    operation, query = ("DeleteObjects", {"delete": [""]}) if case == "bad boolean" else ("CreateBucket", {})
    request = HttpRequest("PUT", "/b", query=query, body=BAD_BODIES[case])
    started = time.perf_counter()
    with pytest.raises(ServiceError) as info:
        PROTO.parse(s3.model, operation, request)
    assert time.perf_counter() - started < 1.0
    assert (info.value.code, info.value.status) == ("MalformedXML", 400)


def test_route53_body_root_and_generic_error_response():
    r53 = StreamingRoundtrip("route53")
    batch = {
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": "a.example.com.",
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": "1.2.3.4"}],
                },
            }
        ]
    }
    params, out, response = call(
        r53,
        "ChangeResourceRecordSets",
        {"HostedZoneId": "Z1", "ChangeBatch": batch},
        {"ChangeInfo": {"Id": "C1", "Status": "PENDING", "SubmittedAt": NOW}},
    )
    assert params == {"HostedZoneId": "Z1", "ChangeBatch": batch}
    assert out["ChangeInfo"] == {"Id": "C1", "Status": "PENDING", "SubmittedAt": NOW}
    assert b'<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' in response.body
    assert response.get_header("x-amzn-RequestId") == "req-1"

    _, err, response = call(
        r53,
        "GetHostedZone",
        {"Id": "Z9"},
        error=ServiceError("NoSuchHostedZone", "No hosted zone found with ID: Z9", 404),
    )
    assert err.response["Error"]["Code"] == "NoSuchHostedZone"
    assert err.response["Error"]["Message"] == "No hosted zone found with ID: Z9"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert b"<ErrorResponse " in response.body and b"<Type>Sender</Type>" in response.body
