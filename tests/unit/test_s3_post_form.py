"""S3 browser POST uploads without a server: the streaming multipart/form-data reader, the
form-field → PutObject-header mapping and the route to the POST pseudo-operation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from pycloud.clock import Clock
from pycloud.context import Principal, RequestContext
from pycloud.events import S3_NOTIFICATION_TOPIC, EventBus, S3Notification
from pycloud.gateway.routing import S3_POST_OBJECT, Router
from pycloud.gateway.server import parse_query
from pycloud.iam.credentials import CredentialStore
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest
from pycloud.services.base import ServiceRuntime
from pycloud.services.s3.form_data import FieldTooLarge, FormReader, boundary_of
from pycloud.services.s3.post_object import put_headers
from pycloud.services.s3.provider import S3Provider
from pycloud.state.store import StateStore

BOUNDARY = "XyZ123"
ACCOUNT = "000000000000"


class Trickle(BodyStream):
    """A body arriving in small pieces (so delimiters straddle chunk edges)."""

    def __init__(self, data: bytes, size: int) -> None:
        self._pieces = [data[i : i + size] for i in range(0, len(data), size)]

    async def read(self) -> bytes:
        return self._pieces.pop(0) if self._pieces else b""


def _form(*parts: tuple[str, bytes, str | None], boundary: str = BOUNDARY, epilogue: bytes = b"") -> bytes:
    out = [b"preamble to ignore\r\n"]
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode() + epilogue)
    return b"".join(out)


async def _read_all(reader: FormReader) -> list[tuple[str, str | None, bytes]]:
    found = []
    while (part := await reader.next_part()) is not None:
        chunks = []
        while chunk := await reader.read_chunk():
            chunks.append(chunk)
        found.append((part.name, part.filename, b"".join(chunks)))
    return found


@pytest.mark.parametrize("piece", [1, 3, 7, 64, 100_000])
def test_parts_are_read_whatever_the_chunking(piece):
    payload = bytes(range(256)) * 40 + b"\r\n--XyZ12 almost a delimiter\r\n"
    body = _form(("key", b"a/${filename}", None), ("file", payload, "x.bin"), ("after", b"ignored", None))
    parts = asyncio.run(_read_all(FormReader(Trickle(body, piece), BOUNDARY)))
    assert parts == [("key", None, b"a/${filename}"), ("file", "x.bin", payload), ("after", None, b"ignored")]


def test_bytes_source_and_empty_values():
    parts = asyncio.run(_read_all(FormReader(_form(("empty", b"", None), ("file", b"", "")), BOUNDARY)))
    assert parts == [("empty", None, b""), ("file", "", b"")]


@pytest.mark.parametrize(
    "body",
    [
        b"--XyZ123\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nvalue without an end",
        b"no boundary at all",
        b"--XyZ123\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ123--\r\n",  # a part without a name
        b"--XyZ123\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ123--\r\n",
    ],
)
def test_malformed_bodies(body):
    with pytest.raises(ServiceError) as info:
        asyncio.run(_read_all(FormReader(body, BOUNDARY)))
    assert (info.value.code, info.value.status) == ("MalformedPOSTRequest", 400)


def test_read_value_stops_at_its_limit():
    async def run() -> None:
        reader = FormReader(_form(("big", b"x" * 100, None)), BOUNDARY)
        await reader.next_part()
        await reader.read_value(99)

    with pytest.raises(FieldTooLarge):
        asyncio.run(run())


def test_drain_discards_the_rest():
    async def run() -> tuple[bool, bool]:
        reader = FormReader(Trickle(_form(("a", b"1" * 1000, None)), 10), BOUNDARY)
        await reader.next_part()
        small = await reader.drain(10)
        reader = FormReader(Trickle(_form(("a", b"1" * 1000, None)), 10), BOUNDARY)
        return small, await reader.drain(10_000)

    assert asyncio.run(run()) == (False, True)


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=abc", "abc"),
        ('multipart/form-data; charset=utf-8; boundary="a;b c"', "a;b c"),
        ("Multipart/Form-Data; BOUNDARY=abc", "abc"),
        ("multipart/form-data", None),
        ("multipart/mixed; boundary=abc", None),
        ("application/x-www-form-urlencoded", None),
    ],
)
def test_boundary_of(content_type, boundary):
    assert boundary_of(content_type) == boundary


def test_fields_map_to_put_object_headers():
    headers = put_headers({
        "key": "k", "policy": "p", "acl": "public-read", "content-type": "text/plain", "cache-control": "no-cache",
        "x-amz-meta-color": "blue", "x-amz-storage-class": "STANDARD_IA", "x-amz-checksum-algorithm": "SHA256",
        "tagging": "<Tagging><TagSet><Tag><Key>a b</Key><Value>1&amp;2</Value></Tag></TagSet></Tagging>",
        "content-length": "5", "if-none-match": "*", "x-amz-acl": "ignored-only-acl-counts", "success_action_status": "201",
    })
    assert headers == {
        "x-amz-acl": "public-read", "content-type": "text/plain", "cache-control": "no-cache",
        "x-amz-meta-color": "blue", "x-amz-storage-class": "STANDARD_IA", "x-amz-sdk-checksum-algorithm": "SHA256",
        "x-amz-tagging": "a+b=1%262",
    }


def test_malformed_tagging_is_malformed_xml():
    with pytest.raises(ServiceError) as info:
        put_headers({"tagging": "<Tagging><TagSet>"})
    assert info.value.code == "MalformedXML"


@pytest.mark.parametrize(
    ("method", "path", "query", "content_type", "host", "operation"),
    [
        ("POST", "/bkt", "", "multipart/form-data; boundary=x", "localhost:4566", S3_POST_OBJECT),
        ("POST", "/bkt/", "", "multipart/form-data; boundary=x", "localhost:4566", S3_POST_OBJECT),
        ("POST", "/", "", "multipart/form-data; boundary=x", "bkt.s3.localhost:4566", S3_POST_OBJECT),
        ("POST", "/bkt", "delete", "multipart/form-data; boundary=x", "localhost:4566", "DeleteObjects"),
    ],
)
def test_form_posts_route_to_the_post_pseudo_operation(method, path, query, content_type, host, operation):
    request = HttpRequest(method, path, query, parse_query(query), {"content-type": content_type, "host": host})
    route = Router().route(request)
    assert (route.service, route.operation, route.labels["Bucket"]) == ("s3", operation, "bkt")


@pytest.mark.parametrize(
    ("path", "query", "content_type"),
    [
        ("/bkt/key", "", "multipart/form-data; boundary=x"),  # not the bucket root
        ("/bkt", "uploads", "multipart/form-data; boundary=x"),  # a sub-resource
        ("/bkt", "", "text/plain"),  # not a form
    ],
)
def test_other_posts_do_not_route_to_it(path, query, content_type):
    request = HttpRequest("POST", path, query, parse_query(query), {"content-type": content_type, "host": "localhost"})
    try:
        route = Router().route(request)
    except ServiceError as err:
        assert err.code == "MethodNotAllowed"
        return
    assert route.operation != S3_POST_OBJECT


# -- in process: the upload is PutObject's write, announced as ObjectCreated:Post ----------------


@pytest.fixture
def runtime(tmp_path):
    state = StateStore.open(tmp_path / "state")
    yield ServiceRuntime(clock=Clock(), state=state, events=EventBus(), credentials=CredentialStore())
    state.close()


def test_post_upload_stores_the_object_and_publishes_object_created_post(runtime):
    s3 = S3Provider(runtime)
    principal = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", "root", "test")

    def ctx(operation: str) -> RequestContext:
        return RequestContext("req", "s3", operation, "us-east-1", ACCOUNT, principal, runtime.clock.now())

    s3.create_bucket(ctx("CreateBucket"), {"Bucket": "bkt"})
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:uploads"
    s3.put_bucket_notification_configuration(ctx("PutBucketNotificationConfiguration"), {
        "Bucket": "bkt",
        "NotificationConfiguration": {"QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectCreated:Post"]}]},
    })
    published: list[S3Notification] = []
    runtime.events.subscribe(S3_NOTIFICATION_TOPIC, published.append)

    expiration = (runtime.clock.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"expiration": expiration, "conditions": [{"bucket": "bkt"}, ["starts-with", "$key", "in/"]]}
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(hmac.new(b"test", policy.encode(), hashlib.sha1).digest()).decode()
    body = _form(("key", b"in/${filename}", None), ("AWSAccessKeyId", b"test", None), ("policy", policy.encode(), None),
                 ("signature", signature.encode(), None), ("file", b"hello", "a.txt"))
    request = HttpRequest("POST", "/bkt", headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}",
                                                   "host": "localhost:4566"}, body=body)
    response = asyncio.run(s3.post_object(request, "bkt", "req-2", {}))

    assert response.status == 204
    assert response.get_header("ETag") == f'"{hashlib.md5(b"hello").hexdigest()}"'
    assert response.get_header("Location") == "http://localhost:4566/bkt/in/a.txt"
    stored = s3.head_object(ctx("HeadObject"), {"Bucket": "bkt", "Key": "in/a.txt"})
    assert stored["ContentLength"] == 5
    records = [n.record for n in published if n.destination_arn == queue]
    assert [r["eventName"] for r in records] == ["ObjectCreated:Post"]
    assert records[0]["s3"]["object"]["key"] == "in/a.txt"
