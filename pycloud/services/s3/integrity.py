"""Upload integrity: Content-MD5 and flexible checksums (in headers or aws-chunked trailers).

The store writer computes the checksum it keeps (the requested algorithm, CRC64NVME when none was
requested, as S3 has done since 2025) but publishes it only on commit; a value the client sent is
verified before commit with a native Hasher fed alongside, so a mismatch aborts the write.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pycloud._core import Hasher, crc_combine
from pycloud.services.s3 import errors

DEFAULT_ALGORITHM = "crc64nvme"

# Flexible checksum request/response members → the store's hasher names.
CHECKSUM_MEMBERS = {
    "ChecksumCRC32": "crc32",
    "ChecksumCRC32C": "crc32c",
    "ChecksumCRC64NVME": "crc64nvme",
    "ChecksumSHA1": "sha1",
    "ChecksumSHA256": "sha256",
}
MEMBER_OF = {alg: member for member, alg in CHECKSUM_MEMBERS.items()}
_DIGEST_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}
# Which multipart checksum types each algorithm allows (S3: CRCs combine into a FULL_OBJECT
# checksum; SHAs only hash the part checksums, COMPOSITE; CRC64NVME is always FULL_OBJECT).
FULL_OBJECT_ALGORITHMS = frozenset({"crc32", "crc32c", "crc64nvme"})
COMPOSITE_ALGORITHMS = frozenset({"crc32", "crc32c", "sha1", "sha256"})
CHECKSUM_TYPES = ("COMPOSITE", "FULL_OBJECT")


def header_name(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm}"


def _decode(value: str, size: int) -> bytes | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


class UploadCheck:
    """What one upload must be verified against, and the hashers doing it."""

    def __init__(self, params: dict[str, Any], headers: dict[str, str], default: str = DEFAULT_ALGORITHM) -> None:
        """Work out the algorithm (member, trailer, ``x-amz-sdk-checksum-algorithm``, default)
        and validate a Content-MD5 header's form (``InvalidDigest``)."""
        self.params = params
        self.content_md5 = params.get("ContentMD5")
        self._md5: Hasher | None = None
        if self.content_md5 is not None:
            if _decode(self.content_md5, 16) is None:
                raise errors.invalid_digest(self.content_md5)
            self._md5 = Hasher("md5")
        sent = [alg for member, alg in CHECKSUM_MEMBERS.items() if member in params]
        if len(sent) > 1:
            raise errors.invalid_request("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        self.trailer = trailer.removeprefix("x-amz-checksum-") if trailer.startswith("x-amz-checksum-") else ""
        if self.trailer and self.trailer not in _DIGEST_SIZES:
            raise errors.invalid_request("The value specified in the x-amz-trailer header is not supported")
        requested = (params.get("ChecksumAlgorithm") or "").lower()
        self.explicit = bool(sent or self.trailer or requested)
        """Whether the client chose the algorithm (else ``algorithm`` is the default)."""
        self.algorithm = (sent[0] if sent else "") or self.trailer or requested or default
        if self.algorithm not in _DIGEST_SIZES:
            raise errors.invalid_request("Checksum algorithm provided is unsupported. Please try again with any of the "
                                         "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        self._sent_value = params.get(MEMBER_OF[self.algorithm]) if sent else None
        if self._sent_value is not None and _decode(self._sent_value, _DIGEST_SIZES[self.algorithm]) is None:
            raise errors.invalid_checksum_value(header_name(self.algorithm))
        # A value to verify arrives now (header) or after the body (trailer): hash alongside then.
        self._hasher = Hasher(self.algorithm) if (self._sent_value is not None or self.trailer) else None

    def update(self, chunk: bytes) -> None:
        """Feed one body chunk to the verifying hashers."""
        if self._md5 is not None:
            self._md5.update(chunk)
        if self._hasher is not None:
            self._hasher.update(chunk)

    def verify(self, headers: dict[str, str]) -> None:
        """After the whole body: ``BadDigest`` / ``InvalidRequest`` when a sent value disagrees."""
        if self._md5 is not None:
            calculated = base64.b64encode(self._md5.digest()).decode()
            if calculated != self.content_md5:
                raise errors.bad_digest_md5(self.content_md5 or "", calculated)
        if self._hasher is None:
            return
        value = self._sent_value
        if value is None:
            value = headers.get(header_name(self.algorithm))
            if value is None:
                raise errors.invalid_request("x-amz-trailer header is set but trailer is missing")
            if _decode(value, _DIGEST_SIZES[self.algorithm]) is None:
                raise errors.invalid_checksum_value(header_name(self.algorithm))
        if base64.b64encode(self._hasher.digest()).decode() != value:
            raise errors.bad_digest_checksum(self.algorithm.upper())


def checksum_output(info: Any, checksum_type: str = "") -> dict[str, Any]:
    """``Checksum<ALG>`` + ``ChecksumType`` members for a stored version (empty when none)."""
    algorithm = (info.checksum_algorithm or "").lower()
    if not algorithm or not info.checksum or algorithm not in MEMBER_OF:
        return {}
    return {
        MEMBER_OF[algorithm]: base64.b64encode(info.checksum).decode(),
        "ChecksumType": checksum_type or "FULL_OBJECT",
    }


def multipart_checksum_type(algorithm: str, requested: str) -> str:
    """The checksum type of a new multipart upload using ``algorithm`` (lower-case).

    Without ``requested``, CRC64NVME is FULL_OBJECT and the others COMPOSITE, as S3 does;
    ``InvalidRequest`` for an unknown type or a combination S3 refuses (SHA* with FULL_OBJECT,
    CRC64NVME with COMPOSITE).
    """
    if not requested:
        return "FULL_OBJECT" if algorithm not in COMPOSITE_ALGORITHMS else "COMPOSITE"
    if requested not in CHECKSUM_TYPES:
        raise errors.invalid_request("Value for x-amz-checksum-type header is invalid.")
    allowed = FULL_OBJECT_ALGORITHMS if requested == "FULL_OBJECT" else COMPOSITE_ALGORITHMS
    if algorithm not in allowed:
        raise errors.invalid_request(f"The {requested} checksum type cannot be used with the {algorithm} checksum algorithm.")
    return requested


def full_object_checksum(algorithm: str, parts: list[tuple[bytes, int]]) -> bytes | None:
    """The CRC of the concatenated parts, combined from each part's (CRC digest, size): no byte is
    re-read. None when a part has no CRC of ``algorithm`` (a digest of the wrong size)."""
    size = _DIGEST_SIZES[algorithm]
    crc = 0
    for digest, length in parts:
        if len(digest) != size:
            return None
        crc = crc_combine(algorithm, crc, int.from_bytes(digest, "big"), length)
    return crc.to_bytes(size, "big")


def decoded_checksum(algorithm: str, value: str) -> bytes:
    """A client-sent base64 checksum of ``algorithm``, decoded (``InvalidRequest`` when malformed)."""
    raw = _decode(value, _DIGEST_SIZES[algorithm])
    if raw is None:
        raise errors.invalid_checksum_value(header_name(algorithm))
    return raw
