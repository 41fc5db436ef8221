"""aws-chunked body decoding (``Content-Encoding: aws-chunked``), with per-chunk SigV4 verification.

Wire format (AWS "Transferring payload in multiple chunks" and "Including trailing headers")::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n      repeated
    0[;chunk-signature=<sig>]\\r\\n                           final, empty chunk
    [<name>:<value>\\r\\n ... [x-amz-trailer-signature:<sig>\\r\\n]]   trailers, if announced
    \\r\\n

Signed chunks chain: each chunk's signature covers the previous one (the first covers the seed
signature from the Authorization header). Data bytes are handed on as soon as they arrive (a chunk
is hashed on the way through, never buffered), so a consumer must discard the whole payload if a
later ``feed``/``finish`` raises, which is what an atomic PUT does anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pycloud.gateway import sigv4
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream

if TYPE_CHECKING:
    from pycloud.gateway.auth import AuthResult, PayloadVerifier
    from pycloud.protocol.message import HttpRequest

MIN_SIGNED_CHUNK = 8192
"""S3 rejects signed chunks smaller than 8 KiB unless they are the last data chunk."""
MAX_LINE = 4096
MAX_TRAILER_BYTES = 16384
TRAILER_SIGNATURE = "x-amz-trailer-signature"

_HEADER, _DATA, _DATA_END, _TRAILER, _DONE = range(5)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SIG_PREFIX = b"chunk-signature="


def _error(kind: str, message: str, service: str, protocol: str) -> ServiceError:
    # imported lazily: auth imports this module
    from pycloud.gateway.auth import auth_error

    return auth_error(kind, service, protocol, message)


class AwsChunkedDecoder:
    """Incremental aws-chunked decoder: ``feed(bytes) -> bytes`` any split of the body, then
    ``finish() -> trailers``.

    ``signed``: chunks carry ``chunk-signature`` (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``);
    they are verified when ``signing_key`` is given (None: the credential was not verified, so the
    framing is checked but not the signatures). ``trailer``: trailing headers follow the final chunk;
    ``expected_trailers`` (from ``x-amz-trailer``) must all be present. ``decoded_length`` (from
    ``x-amz-decoded-content-length``) is enforced when given.
    """

    __slots__ = (
        "_key", "_prefix", "_amz_date", "_scope", "_prev", "_signed", "_trailer", "_expected",
        "_decoded_length", "_service", "_protocol", "_state", "_line", "_remaining", "_hasher",
        "_chunk_sig", "_chunk_size", "_small_seen", "_total", "_trailers", "_trailer_sig",
        "_trailer_bytes",
    )  # fmt: skip

    def __init__(
        self,
        *,
        signed: bool = False,
        signing_key: bytes | None = None,
        amz_date: str = "",
        scope: str = "",
        seed_signature: str = "",
        trailer: bool = False,
        expected_trailers: Iterable[str] = (),
        decoded_length: int | None = None,
        service: str = "s3",
        protocol: str = "rest-xml",
    ) -> None:
        self._key = signing_key if signed else None
        self._prefix = f"{sigv4.CHUNK_ALGORITHM}\n{amz_date}\n{scope}\n"
        self._amz_date = amz_date
        self._scope = scope
        self._prev = seed_signature
        self._signed = signed
        self._trailer = trailer
        self._expected = tuple(name.strip().lower() for name in expected_trailers if name.strip())
        self._decoded_length = decoded_length
        self._service = service
        self._protocol = protocol
        self._state = _HEADER
        self._line = bytearray()
        self._remaining = 0
        self._hasher = None
        self._chunk_sig = ""
        self._chunk_size = 0
        self._small_seen = False
        self._total = 0
        self._trailers: dict[str, str] = {}
        self._trailer_sig: str | None = None
        self._trailer_bytes = 0

    @property
    def decoded_bytes(self) -> int:
        """Payload bytes produced so far."""
        return self._total

    @property
    def done(self) -> bool:
        """True once the terminating empty line after the final chunk (and trailers) was read."""
        return self._state == _DONE

    def _fail(self, kind: str, message: str) -> ServiceError:
        return _error(kind, message, self._service, self._protocol)

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Consume the next piece of the encoded body; return the payload bytes it completed."""
        n = len(data)
        if not n:
            return b""
        if self._state == _DONE:
            raise self._fail("incomplete_body", "Unexpected data after the final chunk.")
        if isinstance(data, memoryview):
            data = data.tobytes()
        view = memoryview(data)
        out: list[memoryview] = []
        pos = 0
        while pos < n:
            state = self._state
            if state == _DATA:
                take = self._remaining if self._remaining < n - pos else n - pos
                piece = view[pos : pos + take]
                if self._hasher is not None:
                    self._hasher.update(piece)
                out.append(piece)
                pos += take
                self._remaining -= take
                if not self._remaining:
                    self._end_chunk_data()
            elif state == _DATA_END:
                # the CRLF after chunk data may itself be split across feeds
                need = 2 - len(self._line)
                self._line += view[pos : pos + need]
                pos += min(need, n - pos)
                if len(self._line) == 2:
                    if self._line != b"\r\n":
                        raise self._fail("malformed_chunk", "Chunk data is not followed by CRLF.")
                    self._line.clear()
                    self._state = _HEADER
            elif state == _DONE:
                raise self._fail("incomplete_body", "Unexpected data after the final chunk.")
            else:
                end = data.find(b"\n", pos)
                stop = n if end < 0 else end + 1
                self._line += view[pos:stop]
                pos = stop
                if len(self._line) > MAX_LINE:
                    raise self._fail("malformed_chunk", "Chunk header or trailer line is too long.")
                if end >= 0:
                    line = bytes(self._line[:-2] if self._line.endswith(b"\r\n") else self._line[:-1])
                    self._line.clear()
                    if state == _HEADER:
                        self._header_line(line)
                    else:
                        self._trailer_line(line)
            if self._decoded_length is not None and self._total > self._decoded_length:
                raise self._fail("incomplete_body", "The decoded payload is longer than x-amz-decoded-content-length.")
        if not out:
            return b""
        return bytes(out[0]) if len(out) == 1 else b"".join(out)

    def _header_line(self, line: bytes) -> None:
        size_part, sep, ext = line.partition(b";")
        size_part = size_part.strip()
        if not size_part or len(size_part) > 16 or not _HEX.issuperset(size_part):
            raise self._fail("chunk_size", "Invalid chunk size.")
        size = int(size_part, 16)
        if self._signed:
            ext = ext.strip()
            if not ext.startswith(_SIG_PREFIX) or len(ext) != len(_SIG_PREFIX) + 64:
                raise self._fail("chunk_signature", "The chunk is missing a valid chunk-signature.")
            self._chunk_sig = ext[len(_SIG_PREFIX) :].decode("ascii", "replace")
            if self._small_seen and size:
                raise self._fail("chunk_size", "Only the last chunk is allowed to have a size less than 8192 bytes")
            self._small_seen = size < MIN_SIGNED_CHUNK
        self._chunk_size = size
        if size:
            self._remaining = size
            self._total += size
            self._hasher = hashlib.sha256() if self._key is not None else None
            self._state = _DATA
        else:
            self._verify_chunk(sigv4.EMPTY_SHA256)
            self._state = _TRAILER

    def _end_chunk_data(self) -> None:
        if self._hasher is not None:
            self._verify_chunk(self._hasher.hexdigest())
            self._hasher = None
        elif self._signed:
            self._prev = self._chunk_sig
        self._state = _DATA_END

    def _verify_chunk(self, data_hash: str) -> None:
        if not self._signed:
            return
        if self._key is not None:
            sts = f"{self._prefix}{self._prev}\n{sigv4.EMPTY_SHA256}\n{data_hash}"
            if not sigv4.signatures_equal(sigv4.sign(self._key, sts), self._chunk_sig):
                raise self._fail(
                    "chunk_signature",
                    "The request signature we calculated does not match the signature you provided. "
                    "Check your key and signing method.",
                )
        self._prev = self._chunk_sig

    def _trailer_line(self, line: bytes) -> None:
        if not line:
            self._state = _DONE
            return
        self._trailer_bytes += len(line)
        if not self._trailer or self._trailer_bytes > MAX_TRAILER_BYTES:
            raise self._fail("malformed_trailer", "")
        name, sep, value = line.partition(b":")
        if not sep or not name.strip():
            raise self._fail("malformed_trailer", "")
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        if key == TRAILER_SIGNATURE:
            self._trailer_sig = text
        else:
            self._trailers[key] = text

    def finish(self) -> dict[str, str]:
        """Check the body ended cleanly; return the trailing headers (lower-case names)."""
        state = self._state
        # Some SDKs omit the empty line that ends the trailer section: accept a clean stop there.
        if state != _DONE and not (state == _TRAILER and not self._line):
            raise self._fail(
                "incomplete_body",
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            )
        self._state = _DONE
        if self._decoded_length is not None and self._total != self._decoded_length:
            raise self._fail(
                "incomplete_body",
                "You did not provide the number of bytes specified by the x-amz-decoded-content-length header.",
            )
        for name in self._expected:
            if name not in self._trailers:
                raise self._fail("malformed_trailer", "")
        if self._signed and self._trailer:
            if self._trailer_sig is None:
                raise self._fail("malformed_trailer", "")
            if self._key is not None:
                sts = sigv4.trailer_string_to_sign(self._amz_date, self._scope, self._prev, self._trailers)
                # SDKs sign trailers as AWS4-HMAC-SHA256-TRAILER; AWS's published example was computed
                # with the -PAYLOAD prefix instead, so that form is accepted as a second chance.
                alt = sigv4.CHUNK_ALGORITHM + sts[len(sigv4.TRAILER_ALGORITHM) :]
                sig = self._trailer_sig
                if not sigv4.signatures_equal(sigv4.sign(self._key, sts), sig) and not sigv4.signatures_equal(
                    sigv4.sign(self._key, alt), sig
                ):
                    raise self._fail(
                        "chunk_signature",
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your key and signing method.",
                    )
        return self._trailers


def decode_all(body: bytes, **options) -> tuple[bytes, dict[str, str]]:
    """Decode a whole buffered aws-chunked body; ``options`` as for :class:`AwsChunkedDecoder`.

    Returns ``(payload, trailers)``.
    """
    decoder = AwsChunkedDecoder(**options)
    payload = decoder.feed(body)
    return payload, decoder.finish()


def is_aws_chunked(request: HttpRequest) -> bool:
    """True when the request body is aws-chunked (by its payload hash mode or Content-Encoding)."""
    if request.headers.get("x-amz-content-sha256", "").startswith("STREAMING-"):
        return True
    return "aws-chunked" in request.headers.get("content-encoding", "")


def decode_request(request: HttpRequest, result: AuthResult) -> bytes:
    """Decode a buffered aws-chunked ``request.body`` (verifying chunk signatures); the trailers
    are stored in ``request.headers`` (lower-case names) so checksum checks find them there."""
    decoder = result.chunk_decoder(request.headers)
    payload = decoder.feed(request.body)
    request.headers.update(decoder.finish())
    return payload


class DecodingBodyStream(BodyStream):
    """A ``BodyStream`` that decodes (and verifies) another one on the fly.

    Wraps aws-chunked bodies with an ``AwsChunkedDecoder`` and/or checks a signed payload hash;
    at the end of the stream it raises the AWS error if anything did not match, and merges the
    trailers into ``headers``.
    """

    def __init__(
        self,
        inner: BodyStream,
        decoder: AwsChunkedDecoder | None,
        verifier: PayloadVerifier | None,
        headers: dict[str, str],
    ) -> None:
        self._inner = inner
        self._decoder = decoder
        self._verifier = verifier
        self._headers = headers
        self._finished = False
        self.trailers: dict[str, str] = {}

    async def read(self) -> bytes:
        """The next decoded piece; ``b""`` at the end (after every check passed)."""
        decoder = self._decoder
        while not self._finished:
            raw = await self._inner.read()
            if not raw:
                self._finished = True
                if decoder is not None:
                    self.trailers = decoder.finish()
                    self._headers.update(self.trailers)
                if self._verifier is not None:
                    self._verifier.verify()
                return b""
            data = decoder.feed(raw) if decoder is not None else raw
            if self._verifier is not None and data:
                self._verifier.update(data)
            if data:
                return data
        return b""


def wrap_stream(request: HttpRequest, result: AuthResult) -> BodyStream | None:
    """``request.stream`` wrapped so it yields the decoded, verified payload (or unchanged when
    there is nothing to decode or check)."""
    stream = request.stream
    if stream is None:
        return None
    decoder = result.chunk_decoder(request.headers) if result.streaming else None
    verifier = result.payload_verifier()
    if decoder is None and verifier is None:
        return stream
    return DecodingBodyStream(stream, decoder, verifier, request.headers)
