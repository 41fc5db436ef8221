"""The hot S3 object route (method + query keys + path) agrees with the model's REST templates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pycloud.gateway.routing import Router, s3_object_route
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest

QUERY_KEYS = [
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "x-id", "versionId", "partNumber", "uploadId",
    "response-content-type", "acl", "tagging", "uploads", "attributes", "retention", "max-parts", "select",
]
X_IDS = ["GetObject", "PutObject", "UploadPart", "HeadObject", "ListParts", "CopyObject"]
PATHS = ["/bkt/key", "/bkt/a/b/c", "/bkt/", "/bkt", "/", "/bkt/k%20ey", "/bkt//key", "/bkt/key/", "/bkt/%ff",
         "/_website/bkt/key", "/v20180820/x", "/b%41kt/key", "/bkt/a%2Fb"]
HOSTS = ["localhost:4566", "127.0.0.1:4566", "bkt.s3.localhost:4566", "s3.localhost"]


def generic(request: HttpRequest) -> tuple[str | None, dict | None, dict]:
    try:
        route = Router()._route_s3(request, None, None)
    except ServiceError as err:
        return err.code, None, {}
    return route.operation, route.labels, route.extra


@settings(max_examples=600, derandomize=True, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    keys=st.lists(st.sampled_from(QUERY_KEYS), unique=True, max_size=4),
    x_id=st.none() | st.sampled_from(X_IDS),
    copy=st.booleans(),
    path=st.sampled_from(PATHS),
    host=st.sampled_from(HOSTS),
)
def test_hot_route_matches_the_templates(method, keys, x_id, copy, path, host):
    query = {key: ["1"] for key in keys}
    if x_id is not None:
        query["x-id"] = [x_id]
    headers = {"host": host}
    if copy:
        headers["x-amz-copy-source"] = "src/key"
    request = HttpRequest(method, path, "", query, headers)
    fast = s3_object_route(request, None)
    if fast is None:
        return  # the templates decide
    operation, labels, extra = generic(request)
    assert (fast.operation, fast.labels) == (operation, labels)
    assert fast.extra == extra


def test_hot_route_covers_the_load_test_requests():
    presigned = {"X-Amz-Algorithm": ["AWS4-HMAC-SHA256"], "X-Amz-Signature": ["00"]}
    for method, query, expected in (
        ("GET", presigned, "GetObject"),
        ("HEAD", {}, "HeadObject"),
        ("PUT", presigned, "PutObject"),
        ("PUT", {"partNumber": ["1"], "uploadId": ["u"]}, "UploadPart"),
        ("GET", {"versionId": ["v"]}, "GetObject"),
    ):
        route = s3_object_route(HttpRequest(method, "/bkt/a/b", "", query, {"host": "localhost"}), "eu-west-1")
        assert route is not None and route.operation == expected
        assert route.labels == {"Bucket": "bkt", "Key": "a/b"} and route.region == "eu-west-1"
    assert s3_object_route(HttpRequest("GET", "/bkt/k", "", {"acl": [""]}, {"host": "localhost"}), None) is None
