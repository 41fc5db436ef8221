"""Hand-made (but correctly signed) HTTP requests, for inputs no SDK would send."""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_request(
    endpoint: str,
    method: str,
    path: str,
    *,
    service: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    region: str = "us-east-1",
    secret: str = "test",
    keep_content_sha256: bool = False,
) -> tuple[int, dict[str, str], bytes]:
    """Sign ``method path`` with SigV4 for ``service`` and send it; returns (status, headers, body).

    botocore's S3 signer replaces ``x-amz-content-sha256`` with the body's hash;
    ``keep_content_sha256`` signs with the generic signer, which keeps the given value.
    """
    url = endpoint + path
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer_cls = S3SigV4Auth if service == "s3" and not keep_content_sha256 else SigV4Auth
    signer_cls(Credentials("test", secret), service, region).add_auth(request)
    return send(endpoint, method, path, body, dict(request.headers.items()))


def send(endpoint: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Send one request over a fresh connection."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def raw_exchange(endpoint: str, payload: bytes, timeout: float = 5.0) -> bytes:
    """Write raw bytes to the server and read until it closes (or the timeout passes)."""
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except TimeoutError:
            pass
        return b"".join(chunks)
