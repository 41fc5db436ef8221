"""The decoded body of an RPC request (botocore gzips large bodies of ``requestcompression`` operations)."""

from __future__ import annotations

import zlib

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest

MAX_INFLATED_BYTES = 64 * 1024 * 1024  # guards against decompression bombs


def decoded_body(request: HttpRequest) -> bytes:
    """``request.body``, inflated when ``Content-Encoding: gzip`` says it is compressed."""
    encoding = (request.headers.get("content-encoding") or "").strip().lower()
    if not request.body or encoding not in ("gzip", "x-gzip"):
        return request.body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(request.body, MAX_INFLATED_BYTES)
    except zlib.error as exc:
        raise ServiceError("SerializationException", "The gzip-encoded request body is corrupt.", 400) from exc
    if inflater.unconsumed_tail:
        raise ServiceError("RequestEntityTooLarge", "The decompressed request body is too large.", 413)
    if not inflater.eof:
        raise ServiceError("SerializationException", "The gzip-encoded request body is truncated.", 400)
    return data
