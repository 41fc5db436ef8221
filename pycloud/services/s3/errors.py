"""S3 error constructors: AWS's codes, HTTP statuses, messages and extra ``<Error>`` fields."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def no_such_bucket(bucket: str) -> ServiceError:
    """The bucket does not exist (in any account)."""
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": bucket})


def access_denied(message: str = "Access Denied") -> ServiceError:
    """The caller may not act on the bucket (its policies, another account's, an expected-owner mismatch)."""
    return ServiceError("AccessDenied", message, 403)


def invalid_bucket_name(bucket: str) -> ServiceError:
    return ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, fields={"BucketName": bucket})


def bucket_already_exists(bucket: str) -> ServiceError:
    return ServiceError(
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
        "Please select a different name and try again.",
        409,
        fields={"BucketName": bucket},
    )


def bucket_already_owned_by_you(bucket: str) -> ServiceError:
    return ServiceError(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
        fields={"BucketName": bucket},
    )


def bucket_not_empty(bucket: str) -> ServiceError:
    return ServiceError(
        "BucketNotEmpty", "The bucket you tried to delete is not empty", 409, fields={"BucketName": bucket}
    )


def invalid_location_constraint(constraint: str) -> ServiceError:
    return ServiceError(
        "InvalidLocationConstraint",
        "The specified location-constraint is not valid",
        400,
        fields={"LocationConstraint": constraint},
    )


def illegal_location_constraint(constraint: str | None) -> ServiceError:
    """A constraint that does not match the regional endpoint the request was sent to."""
    shown = constraint if constraint else "unspecified"
    return ServiceError(
        "IllegalLocationConstraintException",
        f"The {shown} location constraint is incompatible for the region specific endpoint this request was sent to.",
        400,
    )


def malformed_xml() -> ServiceError:
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> ServiceError:
    fields = {}
    if name is not None:
        fields["ArgumentName"] = name
    if value is not None:
        fields["ArgumentValue"] = value
    return ServiceError("InvalidArgument", message, 400, fields=fields)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def invalid_tag(message: str, key: str | None = None) -> ServiceError:
    return ServiceError("InvalidTag", message, 400, fields={"TagKey": key} if key is not None else None)


def invalid_bucket_state(message: str) -> ServiceError:
    return ServiceError("InvalidBucketState", message, 409)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicy", message, 400)


def malformed_acl() -> ServiceError:
    return ServiceError(
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def acl_not_supported() -> ServiceError:
    return ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)


def acl_with_object_ownership() -> ServiceError:
    return ServiceError(
        "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        400,
    )


def not_found(code: str, message: str, bucket: str) -> ServiceError:
    """A missing bucket configuration (``NoSuchCORSConfiguration``...): 404 naming the bucket."""
    return ServiceError(code, message, 404, fields={"BucketName": bucket})


# (code, message) of each configuration's "not configured" answer.
NO_TAG_SET = ("NoSuchTagSet", "The TagSet does not exist")
NO_CORS = ("NoSuchCORSConfiguration", "The CORS configuration does not exist")
NO_WEBSITE = ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
NO_LIFECYCLE = ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
NO_ENCRYPTION = (
    "ServerSideEncryptionConfigurationNotFoundError",
    "The server side encryption configuration was not found",
)
NO_OWNERSHIP = ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
NO_PUBLIC_ACCESS_BLOCK = (
    "NoSuchPublicAccessBlockConfiguration",
    "The public access block configuration was not found",
)
NO_POLICY = ("NoSuchBucketPolicy", "The bucket policy does not exist")
NO_OBJECT_LOCK = ("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")


def access_denied_mfa() -> ServiceError:
    """Changing MFA Delete without the ``x-amz-mfa`` header."""
    return ServiceError("AccessDenied", "Mfa Authentication must be used for this request", 403)


# -- objects -------------------------------------------------------------------------------------


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        fields={"Key": key, "VersionId": version_id},
    )


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
        "aborted or completed.",
        404,
        fields={"UploadId": upload_id},
    )


def invalid_part() -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400,
    )


def invalid_part_order() -> ServiceError:
    return ServiceError("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", 400)


def entity_too_small() -> ServiceError:
    return ServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", 400)


def invalid_part_number() -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
        400,
        fields={"ArgumentName": "partNumber"},
    )


def key_too_long(size: int | None = None) -> ServiceError:
    """A key longer than 1024 bytes of UTF-8."""
    fields = {"Size": size, "MaxSizeAllowed": 1024} if size is not None else None
    return ServiceError("KeyTooLongError", "Your key is too long", 400, fields=fields)


def method_not_allowed_on_delete_marker() -> ServiceError:
    return ServiceError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        fields={"Method": "GET", "ResourceType": "DeleteMarker"},
    )


def invalid_range(requested: str, size: int) -> ServiceError:
    """A Range no byte of the object satisfies (416)."""
    return ServiceError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"RangeRequested": requested, "ActualObjectSize": size},
        headers={"Content-Range": f"bytes */{size}"},
    )


def invalid_part_number_requested(requested: int, count: int) -> ServiceError:
    """A ``partNumber`` GET past the object's last part (416)."""
    return ServiceError(
        "InvalidPartNumber",
        "The requested partnumber is not satisfiable",
        416,
        fields={"PartNumberRequested": requested, "ActualPartCount": count},
    )


def precondition_failed(condition: str) -> ServiceError:
    """An If-* (or x-amz-copy-source-if-*) condition that did not hold (412)."""
    return ServiceError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        fields={"Condition": condition},
    )


def not_modified(etag: str, last_modified: str) -> ServiceError:
    """304 Not Modified: the server writes no body; the validators travel as headers."""
    return ServiceError("NotModified", "Not Modified", 304, headers={"ETag": etag, "Last-Modified": last_modified})


def not_implemented(header: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        501,
        sender_fault=False,
        fields={"Header": header},
    )


def invalid_digest(content_md5: str) -> ServiceError:
    return ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", 400,
                        fields={"Content-MD5": content_md5})


def bad_digest_md5(expected: str, calculated: str) -> ServiceError:
    return ServiceError(
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
        fields={"ExpectedDigest": expected, "CalculatedDigest": calculated},
    )


def bad_digest_checksum(algorithm: str) -> ServiceError:
    """A flexible checksum (``CRC32``...) that does not match the body received."""
    return ServiceError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", 400)


def invalid_checksum_value(header: str) -> ServiceError:
    return invalid_request(f"Value for {header} header is invalid.")


def metadata_too_large(size: int) -> ServiceError:
    return ServiceError(
        "MetadataTooLarge",
        "Your metadata headers exceed the maximum allowed metadata size.",
        400,
        fields={"Size": size, "MaxSizeAllowed": 2048},
    )


def invalid_storage_class() -> ServiceError:
    return ServiceError("InvalidStorageClass", "The storage class you specified is not valid", 400)


def invalid_object_state(storage_class: str) -> ServiceError:
    """Reading an archived (GLACIER / DEEP_ARCHIVE) object that was not restored (403)."""
    return ServiceError(
        "InvalidObjectState",
        "The operation is not valid for the object's storage class",
        403,
        fields={"StorageClass": storage_class},
    )


def invalid_encryption_algorithm() -> ServiceError:
    return ServiceError(
        "InvalidEncryptionAlgorithmError",
        "The Encryption request you specified is not valid. Supported value: AES256.",
        400,
        fields={"ArgumentName": "x-amz-server-side-encryption", "ArgumentValue": "null"},
    )


def no_such_object_lock_configuration() -> ServiceError:
    return ServiceError(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


def object_locked() -> ServiceError:
    """Deleting (or weakening the retention of) a version Object Lock protects."""
    return ServiceError("AccessDenied", "Access Denied because object protected by object lock.", 403)


def missing_object_lock_configuration() -> ServiceError:
    return invalid_request("Bucket is missing Object Lock Configuration")


def cors_not_enabled() -> ServiceError:
    return ServiceError("CORSResponse", "CORS is not enabled for this bucket.", 403)


def cors_not_allowed() -> ServiceError:
    return ServiceError(
        "CORSResponse",
        "This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
        "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's "
        "CORS spec.",
        403,
    )


def preflight_incomplete(what: str) -> ServiceError:
    return ServiceError("BadRequest", f"Insufficient information. {what} request header needed.", 400)


def missing_acl_header() -> ServiceError:
    """PutBucketAcl / PutObjectAcl with neither a canned ACL, grant headers nor a body."""
    return ServiceError(
        "MissingSecurityHeader", "Your request was missing a required header", 400,
        fields={"MissingHeaderName": "x-amz-acl"},
    )
