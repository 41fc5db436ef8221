"""S3 multipart uploads over the native store (parts streamed to disk, completion without copying).

An upload's ObjectMeta (content type, metadata, storage class, SSE, checksum algorithm, owner) is
kept by the store with the upload and becomes the object's metadata at completion, with
``part_sizes`` filled in. Upload ids are global in the store, so every call checks that the id
belongs to the request's bucket and key (NoSuchUpload otherwise, as S3 answers).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pycloud._core import StoreError, hash_bytes
from pycloud.protocol.errors import ServiceError
from pycloud.services.s3 import errors
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.body_sink import write_body
from pycloud.services.s3.copy_source import check_copy_conditions, parse_copy_range, parse_copy_source
from pycloud.services.s3.datastore import store_error
from pycloud.services.s3.integrity import (
    UploadCheck,
    decoded_checksum,
    full_object_checksum,
    multipart_checksum_type,
)
from pycloud.services.s3.list_encoding import encoder
from pycloud.services.s3.listing import encoding_type
from pycloud.services.s3.object_acl import ObjectAcl
from pycloud.services.s3.object_lock import LockState
from pycloud.services.s3.object_meta import ObjectMeta
from pycloud.services.s3.objects import CHECKSUM_MEMBERS, READ_CHUNK, ns, versioning_mode

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket

MAX_PARTS = 1000
"""Largest ListParts page (and ListMultipartUploads page)."""
MAX_PART_NUMBER = 10_000


# -- errors this family adds (constructors kept here: errors.py is owned elsewhere) -------------


def invalid_argument_range(name: str, value: int, low: int, high: int) -> ServiceError:
    return errors.invalid_argument(
        f"Argument {name} must be an integer between {low} and {high}", name, str(value)
    )


# -- helpers ------------------------------------------------------------------------------------


def _member(algorithm: str) -> str:
    return {v: k for k, v in CHECKSUM_MEMBERS.items()}[algorithm.lower()]


def _part_checksums(part: Any) -> dict[str, str]:
    if not part.checksum_algorithm or not part.checksum:
        return {}
    return {_member(part.checksum_algorithm): base64.b64encode(part.checksum).decode()}


class MultipartOperations:
    """Mixin of S3Provider: multipart upload operations."""

    data: S3DataStore
    check_readable: Callable[[Bucket, Any, ObjectMeta], None]  # provided by RestoreOperations

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:  # provided by S3Provider
        raise NotImplementedError

    def owner(self, account_id: str) -> dict[str, str]:  # provided by S3Provider
        raise NotImplementedError

    def _upload(self, bucket: Bucket, key: str, upload_id: str) -> tuple[Any, ObjectMeta]:
        """The upload's record and metadata; NoSuchUpload unless it belongs to this bucket and key."""
        try:
            upload = self.data.store.list_parts(upload_id, 0, 1).upload
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        if upload.bucket != bucket.name or upload.key != key:
            raise errors.no_such_upload(upload_id)
        return upload, ObjectMeta.from_bytes(upload.metadata)

    # -- create ---------------------------------------------------------------------------------

    def create_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Start an upload, recording the future object's metadata."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        self.data.ensure_bucket(bucket.name)
        algorithm = str(params.get("ChecksumAlgorithm") or "").upper()
        checksum_type = str(params.get("ChecksumType") or "").upper()
        if checksum_type and not algorithm:
            raise errors.invalid_request("The x-amz-checksum-type header can only be used with the "
                                         "x-amz-checksum-algorithm header.")
        if algorithm:
            checksum_type = multipart_checksum_type(algorithm.lower(), checksum_type)
        # The same rules as a single PUT (metadata, storage class, SSE incl. the bucket default,
        # tags, object lock); tags and lock wait in the upload's metadata until completion.
        rules = self._write_rules(ctx, bucket, params)
        lock = rules["lock"]
        meta = ObjectMeta(
            content_type=params.get("ContentType") or ObjectMeta.content_type,
            system=rules["system"],
            user=rules["user"],
            storage_class=rules["storage_class"],
            sse=rules["sse"],
            # The algorithm is recorded now; its value is filled in at completion.
            checksums={algorithm: ""} if algorithm else {},
            checksum_type=checksum_type,
            owner=ctx.account_id,
            upload_tags=rules["tags"],
            upload_lock=lock.to_record() if lock is not None else {},
            upload_acl=rules["acl"].to_record(),
        )
        try:
            upload_id = self.data.store.create_upload(bucket.name, key, meta.to_bytes(), ns(ctx.now))
        except StoreError as exc:
            raise store_error(exc, bucket.name, key) from None
        result: dict[str, Any] = {"Bucket": bucket.name, "Key": key, "UploadId": upload_id}
        result.update(meta.sse)
        if algorithm:
            result["ChecksumAlgorithm"] = algorithm
            result["ChecksumType"] = checksum_type
        return result

    # -- parts ----------------------------------------------------------------------------------

    async def upload_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Stream one part into the store; checks Content-MD5 and a header-given checksum."""
        bucket = self._bucket(ctx, params)
        key, upload_id, number = params["Key"], params["UploadId"], params["PartNumber"]
        _, meta = self._upload(bucket, key, upload_id)
        if not 1 <= number <= MAX_PART_NUMBER:
            raise errors.invalid_part_number()
        headers = ctx.request.headers if ctx.request is not None else {}
        upload_algorithm = next(iter(meta.checksums), "").lower()
        check = UploadCheck(params, headers, upload_algorithm or "crc64nvme")
        if upload_algorithm and check.explicit and check.algorithm != upload_algorithm:
            # Every part carries the upload's algorithm: the object's checksum is built from them.
            raise errors.invalid_request(f"Checksum Type mismatch occurred, expected checksum Type: "
                                         f"{upload_algorithm}, actual checksum Type: {check.algorithm}")
        # Without a checksum asked for (here or at creation) the part keeps none.
        algorithm = check.algorithm if check.explicit or upload_algorithm else ""
        try:
            writer = self.data.store.begin_part(upload_id, number, algorithm)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        try:
            await write_body(params.get("Body"), lambda data: (check.update(data), writer.write(data)))
            check.verify(headers)
            part = writer.commit(ns(ctx.now))
        except StoreError as exc:
            writer.abort()
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        except BaseException:
            writer.abort()
            raise
        checksums = _part_checksums(part)
        result: dict[str, Any] = {"ETag": f'"{part.etag}"'}
        result.update(checksums)
        result.update({k: v for k, v in meta.sse.items() if k in ("ServerSideEncryption", "SSEKMSKeyId",
                                                                   "BucketKeyEnabled", "SSECustomerAlgorithm",
                                                                   "SSECustomerKeyMD5")})
        return result

    async def upload_part_copy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Copy (a byte range of) an existing object version into a part, streamed store to store."""
        bucket = self._bucket(ctx, params)
        key, upload_id, number = params["Key"], params["UploadId"], params["PartNumber"]
        _, meta = self._upload(bucket, key, upload_id)
        if not 1 <= number <= MAX_PART_NUMBER:
            raise errors.invalid_part_number()
        source = parse_copy_source(params.get("CopySource"))
        source_bucket = self._bucket(
            ctx, {"Bucket": source.bucket, "ExpectedBucketOwner": params.get("ExpectedSourceBucketOwner")}
        )
        try:
            reader = self.data.store.open(source.bucket, source.key, source.version_id)
        except StoreError as exc:
            raise store_error(exc, source.bucket, source.key, source.version_id) from None
        info = reader.info
        if info.is_delete_marker:
            if source.version_id:
                raise errors.invalid_request(
                    "The source of a copy request may not specifically refer to a delete marker by version id."
                )
            raise errors.no_such_key(source.key)
        check_copy_conditions(params, info.etag, info.last_modified)
        self.check_readable(source_bucket, info, ObjectMeta.from_bytes(info.metadata))  # archived, unrestored
        offset, length = parse_copy_range(params.get("CopySourceRange"), info.size)
        algorithm = next(iter(meta.checksums), "").lower()
        try:
            writer = self.data.store.begin_part(upload_id, number, algorithm)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        try:
            # Off the event loop: a part copy can move gigabytes.
            await asyncio.to_thread(_copy_range, reader, writer, offset, length)
            part = writer.commit(ns(ctx.now))
        except StoreError as exc:
            writer.abort()
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        except BaseException:
            writer.abort()
            raise
        copy_result: dict[str, Any] = {"ETag": f'"{part.etag}"', "LastModified": part.last_modified / 1e9}
        copy_result.update(_part_checksums(part))
        result: dict[str, Any] = {"CopyPartResult": copy_result}
        if source_bucket.versioning:
            result["CopySourceVersionId"] = info.version_id
        result.update({k: v for k, v in meta.sse.items() if k != "SSEKMSEncryptionContext"})
        return result

    # -- complete / abort -----------------------------------------------------------------------

    def complete_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Assemble the listed parts into the object (no data copied)."""
        bucket = self._bucket(ctx, params)
        key, upload_id = params["Key"], params["UploadId"]
        _, meta = self._upload(bucket, key, upload_id)
        requested = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not requested:
            raise errors.malformed_xml()
        wanted: list[tuple[int, str]] = []
        for entry in requested:
            if "PartNumber" not in entry or "ETag" not in entry:
                raise errors.malformed_xml()
            wanted.append((int(entry["PartNumber"]), str(entry["ETag"]).strip().strip('"')))
        stored = {part.part_number: part for part in self._all_parts(upload_id)}
        for entry, (number, _) in zip(requested, wanted, strict=True):
            part = stored.get(number)
            for member in CHECKSUM_MEMBERS:
                # A checksum given for a part must be the one stored with it.
                if entry.get(member) and part is not None and _part_checksums(part).get(member) != entry[member]:
                    raise errors.invalid_part()
        final = ObjectMeta.from_bytes(meta.to_bytes())
        final.upload_tags, final.upload_lock, final.upload_acl = [], {}, {}
        acl = ObjectAcl.from_record(meta.upload_acl) if meta.upload_acl else None
        if acl is not None:
            final.owner = acl.owner  # the object's owner; the upload's metadata keeps its initiator
        final.part_sizes = [stored[number].size if number in stored else 0 for number, _ in wanted]
        final.checksums = self._multipart_checksum(meta, [stored.get(number) for number, _ in wanted], params)
        if not final.checksums:
            final.checksum_type = ""
        try:
            info = self.data.store.complete_upload(
                upload_id, wanted, final.to_bytes(), ns(ctx.now), versioning_mode(bucket)
            )
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        lock = LockState.from_record(meta.upload_lock) if meta.upload_lock else None
        self.record_new_version(bucket, key, info.version_id, meta.upload_tags, lock, acl)
        s3_events.object_created(self.runtime, ctx, bucket, "ObjectCreated:CompleteMultipartUpload", key, info)  # type: ignore[attr-defined]
        result: dict[str, Any] = {
            "Location": self._location(ctx, bucket.name, key),
            "Bucket": bucket.name,
            "Key": key,
            "ETag": f'"{info.etag}"',
        }
        for algorithm, value in final.checksums.items():
            result[_member(algorithm)] = value
            result["ChecksumType"] = final.checksum_type
        if bucket.versioning:
            result["VersionId"] = info.version_id
        result.update({k: v for k, v in meta.sse.items() if k in ("ServerSideEncryption", "SSEKMSKeyId",
                                                                   "BucketKeyEnabled")})
        return result

    def _all_parts(self, upload_id: str) -> Iterator[Any]:
        marker = 0
        while True:
            page = self.data.store.list_parts(upload_id, marker, MAX_PARTS)
            yield from page.parts
            if not page.is_truncated:
                return
            marker = page.next_part_number_marker

    @staticmethod
    def _multipart_checksum(meta: ObjectMeta, parts: list[Any], params: dict[str, Any]) -> dict[str, str]:
        """The object's checksum from its parts' checksums (no byte re-read).

        COMPOSITE: the checksum of the parts' raw checksums, ``-N`` suffixed. FULL_OBJECT: the
        parts' CRCs combined into the CRC of the whole body, checked against a value the client
        sent (``BadDigest``). The request's checksum type and ``x-amz-mp-object-size`` must agree
        with the upload (``InvalidRequest``).
        """
        algorithm = next(iter(meta.checksums), "")
        requested_type = str(params.get("ChecksumType") or "").upper()
        if algorithm and requested_type and requested_type != meta.checksum_type:
            raise errors.invalid_request(f"The upload was created using the {meta.checksum_type} checksum mode. "
                                         "The complete request must use the same checksum mode.")
        size = params.get("MpuObjectSize")
        if size is not None and None not in parts and int(size) != sum(part.size for part in parts):
            raise errors.invalid_request("The provided 'x-amz-mp-object-size' header value does not match what "
                                         "was computed.")
        if not algorithm:
            return {}
        sent = {alg: value for member, alg in CHECKSUM_MEMBERS.items() if (value := params.get(member))}
        if meta.checksum_type == "FULL_OBJECT" and any(alg != algorithm.lower() for alg in sent):
            raise errors.invalid_request(f"The upload was created using a {algorithm.lower()} checksum. "
                                         "The complete request must use the same checksum algorithm.")
        if any(part is None or part.checksum_algorithm.upper() != algorithm or not part.checksum for part in parts):
            return {}
        if meta.checksum_type == "FULL_OBJECT":
            digest = full_object_checksum(algorithm.lower(), [(part.checksum, part.size) for part in parts])
            if digest is None:
                return {}
            value = sent.get(algorithm.lower())
            if value is not None and decoded_checksum(algorithm.lower(), value) != digest:
                raise errors.bad_digest_checksum(algorithm)
            return {algorithm: base64.b64encode(digest).decode()}
        if meta.checksum_type != "COMPOSITE":
            return {}
        digest = hash_bytes(algorithm.lower(), b"".join(part.checksum for part in parts))
        return {algorithm: f"{base64.b64encode(digest).decode()}-{len(parts)}"}

    @staticmethod
    def _location(ctx: RequestContext, bucket: str, key: str) -> str:
        host = ctx.request.header("host", "") if ctx.request is not None else ""
        path = quote(key, safe="/~")
        if host.startswith(f"{bucket}."):
            return f"http://{host}/{path}"
        return f"http://{host or 's3.amazonaws.com'}/{bucket}/{path}"

    def abort_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Drop an upload and its parts (their space is freed)."""
        bucket = self._bucket(ctx, params)
        key, upload_id = params["Key"], params["UploadId"]
        self._upload(bucket, key, upload_id)
        try:
            self.data.store.abort_upload(upload_id)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        return {}

    # -- listings -------------------------------------------------------------------------------

    def list_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """One page of an upload's parts after ``part-number-marker``."""
        bucket = self._bucket(ctx, params)
        key, upload_id = params["Key"], params["UploadId"]
        upload, meta = self._upload(bucket, key, upload_id)
        requested = params.get("MaxParts")
        if requested is not None and requested < 0:
            raise invalid_argument_range("max-parts", requested, 0, 2147483647)
        limit = MAX_PARTS if requested is None else min(requested, MAX_PARTS)
        marker = params.get("PartNumberMarker") or 0
        if marker < 0:
            raise invalid_argument_range("part-number-marker", marker, 0, 2147483647)
        try:
            page = self.data.store.list_parts(upload_id, marker, limit) if limit else None
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, upload_id=upload_id) from None
        parts = page.parts if page is not None else []
        person = self.owner(meta.owner or bucket.account_id)
        result: dict[str, Any] = {
            "Bucket": bucket.name,
            "Key": key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "MaxParts": limit if requested is None else requested,
            "IsTruncated": bool(page is not None and page.is_truncated),
            "Parts": [
                {
                    "PartNumber": part.part_number,
                    "LastModified": part.last_modified / 1e9,
                    "ETag": f'"{part.etag}"',
                    "Size": part.size,
                    **_part_checksums(part),
                }
                for part in parts
            ],
            "Initiator": person,
            "Owner": person,
            "StorageClass": meta.storage_class or "STANDARD",
        }
        if parts:
            result["NextPartNumberMarker"] = parts[-1].part_number
        algorithm = next(iter(meta.checksums), "")
        if algorithm:
            result["ChecksumAlgorithm"] = algorithm
            result["ChecksumType"] = meta.checksum_type
        return result

    def list_multipart_uploads(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """In-progress uploads by key then initiation, with delimiter roll-up done here."""
        bucket = self._bucket(ctx, params)
        requested = params.get("MaxUploads")
        if requested is not None and requested < 0:
            raise invalid_argument_range("max-uploads", requested, 0, 2147483647)
        limit = MAX_PARTS if requested is None else min(requested, MAX_PARTS)
        encoding = encoding_type(params)
        enc = encoder(encoding)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        key_marker = params.get("KeyMarker") or ""
        # S3 ignores upload-id-marker without key-marker.
        upload_marker = (params.get("UploadIdMarker") or "") if key_marker else ""
        entries: list[tuple[str, Any]] = []
        truncated = False
        for entry in self._upload_entries(bucket.name, prefix, delimiter, key_marker, upload_marker):
            if len(entries) == limit:
                truncated = True
                break
            entries.append(entry)
        uploads = []
        for kind, value in entries:
            if kind != "upload":
                continue
            meta = ObjectMeta.from_bytes(value.metadata)
            person = self.owner(meta.owner or bucket.account_id)
            item: dict[str, Any] = {
                "UploadId": value.upload_id,
                "Key": enc(value.key),
                "Initiated": value.initiated / 1e9,
                "StorageClass": meta.storage_class or "STANDARD",
                "Owner": person,
                "Initiator": person,
            }
            algorithm = next(iter(meta.checksums), "")
            if algorithm:
                item["ChecksumAlgorithm"] = algorithm
                item["ChecksumType"] = meta.checksum_type
            uploads.append(item)
        result: dict[str, Any] = {
            "Bucket": bucket.name,
            "KeyMarker": enc(key_marker),
            "UploadIdMarker": upload_marker,
            "Prefix": enc(prefix),
            "MaxUploads": limit if requested is None else requested,
            "IsTruncated": truncated,
            "Uploads": uploads,
            "CommonPrefixes": [{"Prefix": enc(value)} for kind, value in entries if kind == "prefix"],
        }
        if delimiter:
            result["Delimiter"] = enc(delimiter)
        if encoding:
            result["EncodingType"] = encoding
        if entries:
            kind, last = entries[-1]
            result["NextKeyMarker"] = enc(last.key if kind == "upload" else last)
            result["NextUploadIdMarker"] = last.upload_id if kind == "upload" else ""
        return result

    def _upload_entries(
        self, bucket: str, prefix: str, delimiter: str, key_marker: str, upload_marker: str
    ) -> Iterator[tuple[str, Any]]:
        """("upload", UploadInfo) and ("prefix", str) entries in order, prefixes rolled up once each.

        A key marker that is a rolled-up prefix skips that whole prefix, as its uploads were listed.
        """
        last_prefix = key_marker if delimiter and key_marker.endswith(delimiter) else ""
        key, upload = key_marker, upload_marker
        while True:
            try:
                page = self.data.store.list_uploads(bucket, prefix, key, upload, MAX_PARTS)
            except StoreError as exc:
                raise store_error(exc, bucket) from None
            for info in page.uploads:
                rolled = _rolled_prefix(info.key, prefix, delimiter)
                if rolled is None:
                    yield "upload", info
                elif rolled != last_prefix and not (key_marker and rolled <= key_marker):
                    last_prefix = rolled
                    yield "prefix", rolled
            if not page.is_truncated:
                return
            key, upload = page.next_key_marker, page.next_upload_id_marker


def _rolled_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    """The common prefix a key rolls up into, or None when it is listed itself."""
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return key[: index + len(delimiter)] if index >= 0 else None


def _copy_range(reader: Any, writer: Any, offset: int, length: int) -> None:
    """Stream ``length`` bytes from ``offset`` of a store reader into a part writer."""
    end = offset + length
    while offset < end:
        chunk = reader.read(offset, min(READ_CHUNK, end - offset))
        if not chunk:
            break
        writer.write(chunk)
        offset += len(chunk)
