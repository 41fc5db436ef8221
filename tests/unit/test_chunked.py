"""aws-chunked decoding: AWS's published vectors, a test-side encoder, and what botocore sends."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import zlib
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import boto3
import botocore.auth
import botocore.awsrequest
import pytest
from botocore.config import Config

from pycloud.gateway import sigv4
from pycloud.gateway.auth import STREAMING_UNSIGNED_TRAILER, authenticate
from pycloud.gateway.chunked import AwsChunkedDecoder, decode_all, decode_request, is_aws_chunked, wrap_stream
from pycloud.iam.credentials import CredentialStore
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest

# AWS's documented example ("Signature calculations ... chunked upload"): 66560 bytes of "a".
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_DATE = "20130524T000000Z"
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"
DOC_KEY = sigv4.signing_key(DOC_SECRET, "20130524", "us-east-1", "s3")
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_SIGS = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
# ... and its trailing-header variant (x-amz-checksum-crc32c trailer, signed).
DOC_TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
DOC_TRAILER_SIGS = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
DOC_TRAILER_SIG = "63bddb248ad2590c92712055f51b8e78ab024eead08276b24f010b0efd74843f"


def frame(sizes_and_sigs, *, trailer: bytes = b"\r\n") -> bytes:
    out = []
    for size, sig in sizes_and_sigs:
        out.append(b"%x;chunk-signature=%s\r\n" % (size, sig.encode()))
        if size:
            out.append(b"a" * size + b"\r\n")
    return b"".join(out) + trailer


def _hmac_hex(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def encode_signed(payload: bytes, chunk: int, key: bytes, date: str, scope: str, seed: str,
                  trailers: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """Test-side encoder written straight from AWS's documented algorithm (independent of chunked.py)."""
    empty = hashlib.sha256(b"").hexdigest()
    prev = seed
    out = []
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] + [b""]
    for piece in pieces:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, prev, empty, hashlib.sha256(piece).hexdigest()])
        prev = _hmac_hex(key, sts)
        out.append(f"{len(piece):x};chunk-signature={prev}\r\n".encode() + piece)
        if piece:
            out.append(b"\r\n")
    if trailers is None:
        out.append(b"\r\n")
        return b"".join(out)
    canonical = "".join(f"{k}:{v}\n" for k, v in sorted(trailers.items()))
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", date, scope, prev, hashlib.sha256(canonical.encode()).hexdigest()])
    for k, v in trailers.items():
        out.append(f"{k}:{v}\r\n".encode())
    out.append(f"x-amz-trailer-signature:{_hmac_hex(key, sts)}\r\n\r\n".encode())
    return b"".join(out)


def encode_unsigned(payload: bytes, chunk: int, trailers: dict[str, str]) -> bytes:
    out = [
        b"%x\r\n%s\r\n" % (len(payload[i : i + chunk]), payload[i : i + chunk]) for i in range(0, len(payload), chunk)
    ]
    out.append(b"0\r\n" + b"".join(f"{k}:{v}\r\n".encode() for k, v in trailers.items()) + b"\r\n")
    return b"".join(out)


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def doc_decoder(**kw) -> AwsChunkedDecoder:
    options = dict(signed=True, signing_key=DOC_KEY, amz_date=DOC_DATE, scope=DOC_SCOPE, seed_signature=DOC_SEED)
    options.update(kw)
    return AwsChunkedDecoder(**options)


def expect(code: str, status: int, fn, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    return info.value


# --- AWS's published vectors -----------------------------------------------------------------


def test_documented_seed_signature_from_request_headers():
    store = CredentialStore(default_key="AKIAIOSFODNN7EXAMPLE", default_secret=DOC_SECRET)
    signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class"
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": DOC_DATE,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "authorization": f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{DOC_SCOPE}, SignedHeaders={signed}, Signature={DOC_SEED}",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
    }
    body = frame(zip((65536, 1024, 0), DOC_SIGS, strict=True))
    assert len(body) == 66824
    req = HttpRequest("PUT", "/examplebucket/chunkObject.txt", headers=headers, body=body)
    now = datetime(2013, 5, 24, 0, 5, tzinfo=UTC)
    result = authenticate(req, now=now, credentials=store, strict=True)
    assert result.verified and result.streaming and result.signature == DOC_SEED
    assert is_aws_chunked(req)
    assert decode_request(req, result) == b"a" * 66560


def test_documented_chunk_signatures():
    body = frame(zip((65536, 1024, 0), DOC_SIGS, strict=True))
    payload, trailers = decode_all(body, signed=True, signing_key=DOC_KEY, amz_date=DOC_DATE, scope=DOC_SCOPE,
                                   seed_signature=DOC_SEED, decoded_length=66560)  # fmt: skip
    assert payload == b"a" * 66560 and trailers == {}


def test_documented_signed_trailer():
    trailer = f"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{DOC_TRAILER_SIG}\r\n\r\n".encode()
    body = frame(zip((65536, 1024, 0), DOC_TRAILER_SIGS, strict=True), trailer=trailer)
    decoder = doc_decoder(seed_signature=DOC_TRAILER_SEED, trailer=True, expected_trailers=["x-amz-checksum-crc32c"])
    assert decoder.feed(body) == b"a" * 66560
    assert decoder.finish() == {"x-amz-checksum-crc32c": "sOO8/Q=="}
    # the trailer value is covered by its signature
    tampered = doc_decoder(seed_signature=DOC_TRAILER_SEED, trailer=True)
    tampered.feed(body.replace(b"sOO8/Q==", b"sOO8/R=="))
    expect("SignatureDoesNotMatch", 403, tampered.finish)


def test_test_encoder_matches_documented_vectors():
    ours = encode_signed(b"a" * 66560, 65536, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    assert ours == frame(zip((65536, 1024, 0), DOC_SIGS, strict=True))


# --- encoder round trips, every split point --------------------------------------------------


def feed_split(decoder: AwsChunkedDecoder, body: bytes, cut: int) -> tuple[bytes, dict[str, str]]:
    out = decoder.feed(body[:cut]) + decoder.feed(body[cut:])
    return out, decoder.finish()


def test_signed_body_split_at_every_offset():
    payload = os.urandom(8192 + 300)
    body = encode_signed(payload, 8192, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    for cut in range(len(body) + 1):
        out, trailers = feed_split(doc_decoder(decoded_length=len(payload)), body, cut)
        assert out == payload and trailers == {}, cut


def test_signed_trailer_body_split_at_every_offset():
    payload = os.urandom(9000)
    trailers = {"x-amz-checksum-crc32": crc32_b64(payload)}
    body = encode_signed(payload, 8192, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED, trailers)
    for cut in range(0, len(body) + 1, 7):
        decoder = doc_decoder(trailer=True, expected_trailers=["x-amz-checksum-crc32"], decoded_length=len(payload))
        assert feed_split(decoder, body, cut) == (payload, trailers), cut


def test_unsigned_trailer_split_at_every_offset_and_byte_by_byte():
    payload = b"The quick brown fox jumps over the lazy dog" * 3
    trailers = {"x-amz-checksum-crc32": crc32_b64(payload)}
    body = encode_unsigned(payload, 16, trailers)
    for cut in range(len(body) + 1):
        decoder = AwsChunkedDecoder(
            trailer=True, expected_trailers=["x-amz-checksum-crc32"], decoded_length=len(payload)
        )
        assert feed_split(decoder, body, cut) == (payload, trailers), cut
    decoder = AwsChunkedDecoder(trailer=True)
    out = b"".join(decoder.feed(body[i : i + 1]) for i in range(len(body)))
    assert out == payload and decoder.finish() == trailers


def test_decoder_never_holds_more_than_a_line():
    # a chunk's data is handed on as it arrives rather than buffered until the chunk is complete
    payload = os.urandom(50000)
    body = encode_signed(payload, 50000, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    decoder = doc_decoder()
    header_end = body.index(b"\r\n") + 2
    first = decoder.feed(body[: header_end + 1000])
    assert first == payload[:1000]
    rest = decoder.feed(body[header_end + 1000 :])
    assert first + rest == payload
    decoder.finish()


# --- what botocore sends ---------------------------------------------------------------------


class _Raw:
    def stream(self, **_):
        yield b""


def capture_put_object(body: bytes, monkeypatch) -> HttpRequest:
    """Run a real boto3 PutObject with flexible checksums; capture the wire request without sending."""
    signed_at = datetime(2024, 5, 24, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
    captured: dict = {}

    def before_send(request, **_):
        data = request.body
        captured["body"] = data.read() if hasattr(data, "read") else data
        captured["request"] = request
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Raw())

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    # https: botocore only moves checksums into trailers over TLS; nothing is sent anyway
    client = session.client("s3", endpoint_url="https://localhost:4566",
                            config=Config(request_checksum_calculation="when_supported",
                                          s3={"addressing_style": "path"}))  # fmt: skip
    client.meta.events.register("before-send.s3.PutObject", before_send)
    client.put_object(Bucket="bucket", Key="dir/my key+ü.txt", Body=body)
    wire = captured["request"]
    parts = urlsplit(wire.url)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in wire.headers.items()}
    headers["host"] = parts.netloc
    query = {}
    for piece in parts.query.split("&") if parts.query else ():
        name, _, value = piece.partition("=")
        query.setdefault(unquote(name), []).append(unquote(value))
    return HttpRequest("PUT", parts.path, parts.query, query, headers, captured["body"])


def test_botocore_put_object_with_crc32_trailer(monkeypatch):
    payload = os.urandom(3000)
    req = capture_put_object(payload, monkeypatch)
    assert req.headers["x-amz-content-sha256"] == STREAMING_UNSIGNED_TRAILER
    assert req.headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    result = authenticate(req, now=datetime(2024, 5, 24, 12, 1, tzinfo=UTC), credentials=CredentialStore(), strict=True)
    assert result.verified and result.streaming
    encoded = req.body
    for cut in range(0, len(encoded) + 1, 13):
        decoder = result.chunk_decoder(req.headers)
        out, trailers = feed_split(decoder, encoded, cut)
        assert out == payload
        assert trailers == {"x-amz-checksum-crc32": crc32_b64(payload)}
    # the buffered convenience form puts the trailer where checksum checks look for it
    assert decode_request(req, result) == payload
    assert req.headers["x-amz-checksum-crc32"] == crc32_b64(payload)


class _Chunks(BodyStream):
    def __init__(self, data: bytes, size: int):
        self._pieces = [data[i : i + size] for i in range(0, len(data), size)]

    async def read(self) -> bytes:
        return self._pieces.pop(0) if self._pieces else b""


def test_botocore_body_through_wrapped_stream(monkeypatch):
    payload = os.urandom(5000)
    req = capture_put_object(payload, monkeypatch)
    encoded, req.body = req.body, b""
    req.stream = _Chunks(encoded, 333)
    result = authenticate(req, now=datetime(2024, 5, 24, 12, 1, tzinfo=UTC), credentials=CredentialStore(), strict=True)
    stream = wrap_stream(req, result)
    assert asyncio.run(stream.read_all()) == payload
    assert stream.trailers == {"x-amz-checksum-crc32": crc32_b64(payload)}

    req.stream = _Chunks(encoded[:-40], 333)  # connection dropped inside the trailer
    stream = wrap_stream(req, result)
    with pytest.raises(ServiceError) as info:
        asyncio.run(stream.read_all())
    assert info.value.code in ("IncompleteBody", "MalformedTrailerError")


# --- failures --------------------------------------------------------------------------------


def test_bad_chunk_signatures_rejected():
    body = frame(zip((65536, 1024, 0), DOC_SIGS, strict=True))
    corrupt = bytearray(body)
    corrupt[len(body) - 300] = ord("b")  # inside the second chunk's data
    decoder = doc_decoder()
    with pytest.raises(ServiceError) as info:
        decoder.feed(bytes(corrupt))
    assert (info.value.code, info.value.status) == ("SignatureDoesNotMatch", 403)

    expect("SignatureDoesNotMatch", 403, doc_decoder(seed_signature="0" * 64).feed, body)
    swapped = body.replace(DOC_SIGS[1].encode(), DOC_SIGS[0].encode())
    expect("SignatureDoesNotMatch", 403, doc_decoder().feed, swapped)
    missing = body.replace(b";chunk-signature=" + DOC_SIGS[0].encode(), b"")
    expect("SignatureDoesNotMatch", 403, doc_decoder().feed, missing)


def test_unverified_credentials_check_framing_only():
    body = frame(zip((65536, 1024, 0), ("1" * 64, "2" * 64, "3" * 64), strict=True))
    payload, _ = decode_all(body, signed=True, signing_key=None)
    assert payload == b"a" * 66560


def test_truncated_and_wrong_length_bodies():
    body = frame(zip((65536, 1024, 0), DOC_SIGS, strict=True))
    truncated = doc_decoder()
    truncated.feed(body[:50000])
    expect("IncompleteBody", 400, truncated.finish)

    no_final = doc_decoder()
    no_final.feed(body[: body.index(b"0;chunk-signature")])
    expect("IncompleteBody", 400, no_final.finish)

    short = doc_decoder(decoded_length=70000)
    short.feed(body)
    expect("IncompleteBody", 400, short.finish)

    expect("IncompleteBody", 400, doc_decoder(decoded_length=1000).feed, body)

    done = doc_decoder()
    done.feed(body)
    expect("IncompleteBody", 400, done.feed, b"extra")


def test_malformed_framing():
    expect("InvalidChunkSizeError", 403, AwsChunkedDecoder().feed, b"zz\r\nabc\r\n")
    expect("InvalidChunkSizeError", 403, AwsChunkedDecoder().feed, b"0x3\r\nabc\r\n")
    expect("IncompleteBody", 400, AwsChunkedDecoder().feed, b"3\r\nabcXY0\r\n\r\n")
    expect("IncompleteBody", 400, AwsChunkedDecoder().feed, b"1" * 5000)
    # signed chunks below 8 KiB are only allowed last
    small = encode_signed(b"x" * 5000, 1000, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    expect("InvalidChunkSizeError", 403, doc_decoder().feed, small)
    last_small = encode_signed(b"x" * 9000, 8192, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    assert decode_all(last_small, signed=True, signing_key=DOC_KEY, amz_date=DOC_DATE, scope=DOC_SCOPE,
                      seed_signature=DOC_SEED)[0] == b"x" * 9000  # fmt: skip


def test_trailer_errors():
    payload = b"data" * 10
    good = encode_unsigned(payload, 16, {"x-amz-checksum-crc32": crc32_b64(payload)})
    missing = AwsChunkedDecoder(trailer=True, expected_trailers=["x-amz-checksum-sha256"])
    missing.feed(good)
    expect("MalformedTrailerError", 400, missing.finish)

    garbage = good.replace(b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32 ")
    expect("MalformedTrailerError", 400, AwsChunkedDecoder(trailer=True).feed, garbage)
    # trailers arriving when none were announced
    expect("MalformedTrailerError", 400, AwsChunkedDecoder(trailer=False).feed, good)

    unsigned_sig_missing = encode_signed(
        payload * 300, 8192, DOC_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED, {"x-amz-checksum-crc32": "AAAAAA=="}
    )
    stripped = unsigned_sig_missing[: unsigned_sig_missing.index(b"x-amz-trailer-signature")] + b"\r\n"
    decoder = doc_decoder(trailer=True)
    decoder.feed(stripped)
    expect("MalformedTrailerError", 400, decoder.finish)


def test_errors_follow_the_service_family():
    err = expect("SignatureDoesNotMatch", 403, AwsChunkedDecoder(signed=True, signing_key=DOC_KEY, service="sts", protocol="query").feed,
                 b"1;chunk-signature=" + b"0" * 64 + b"\r\na\r\n")  # fmt: skip
    assert "Check your" in err.message
