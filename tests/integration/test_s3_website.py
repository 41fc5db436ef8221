"""S3 static website hosting: the website endpoint by host (bucket.s3-website.localhost) and path
(/_website/<bucket>/), index and error documents, redirects and public-read rules."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from s3_helpers import account_client_fixture, unique

client = account_client_fixture("777788889999", "AKIAS3WEBSITETESTS01", "s3-website-secret", "s3-website")


@pytest.fixture(scope="module")
def s3(client):
    return client()


def _public_site(s3, name: str, **config) -> None:
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                       "Resource": f"arn:aws:s3:::{name}/*"}]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=config or {
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})


@pytest.fixture
def site(s3):
    name = unique("site")
    _public_site(s3, name)
    for key, body in (("index.html", b"<h1>home</h1>"), ("error.html", b"<h1>oops</h1>"),
                      ("docs/index.html", b"<h1>docs</h1>"), ("page.html", b"<p>page</p>")):
        s3.put_object(Bucket=name, Key=key, Body=body, ContentType="text/html")
    return name


def _get(pycloud, bucket: str | None, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A browser-style request to the website endpoint: by Host header when ``bucket`` is given."""
    parts = urlsplit(pycloud.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Host": f"{bucket}.s3-website.localhost:{parts.port}"} if bucket else {}
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_index_pages_and_documents(pycloud, site):
    status, headers, body = _get(pycloud, site, "/")
    assert (status, body) == (200, b"<h1>home</h1>") and headers["content-type"] == "text/html"
    assert _get(pycloud, site, "/page.html")[::2] == (200, b"<p>page</p>")
    assert _get(pycloud, site, "/docs/")[::2] == (200, b"<h1>docs</h1>")
    status, headers, _ = _get(pycloud, site, "/docs")
    assert status == 302 and headers["location"] == "/docs/"
    assert _get(pycloud, None, f"/_website/{site}/page.html")[::2] == (200, b"<p>page</p>")
    status, headers, body = _get(pycloud, site, "/page.html", method="HEAD")
    assert (status, body) == (200, b"") and headers["content-length"] == str(len(b"<p>page</p>"))


def test_missing_pages_get_the_error_document_with_404(pycloud, site):
    status, _, body = _get(pycloud, site, "/nowhere.html")
    assert (status, body) == (404, b"<h1>oops</h1>")


def test_private_objects_are_forbidden(pycloud, s3):
    name = unique("site-private")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=name, Key="index.html", Body=b"secret")
    status, headers, body = _get(pycloud, name, "/")
    assert status == 403 and b"AccessDenied" in body and headers["content-type"].startswith("text/html")


def test_buckets_without_a_website(pycloud, s3):
    name = unique("site-none")
    s3.create_bucket(Bucket=name)
    status, _, body = _get(pycloud, name, "/")
    assert status == 404 and b"NoSuchWebsiteConfiguration" in body
    status, _, body = _get(pycloud, unique("site-missing"), "/")
    assert status == 404 and b"NoSuchBucket" in body


def test_redirects(pycloud, s3):
    everything = unique("site-moved")
    _public_site(s3, everything, RedirectAllRequestsTo={"HostName": "example.com", "Protocol": "https"})
    status, headers, _ = _get(pycloud, everything, "/a/b.html")
    assert status == 301 and headers["location"] == "https://example.com/a/b.html"

    ruled = unique("site-rules")
    _public_site(s3, ruled, IndexDocument={"Suffix": "index.html"}, RoutingRules=[
        {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}},
        {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
         "Redirect": {"HostName": "fallback.example.com", "HttpRedirectCode": "307"}},
    ])
    status, headers, _ = _get(pycloud, ruled, "/old/page.html")
    assert status == 301 and headers["location"].endswith("/new/page.html")
    status, headers, _ = _get(pycloud, ruled, "/gone.html")
    assert status == 307 and headers["location"] == "http://fallback.example.com/gone.html"


def test_only_get_and_head(pycloud, site):
    status, _, body = _get(pycloud, site, "/page.html", method="POST")
    assert status == 405 and b"MethodNotAllowed" in body
