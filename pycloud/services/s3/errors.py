"""S3 error constructors: AWS's codes, HTTP statuses, messages and extra ``<Error>`` fields."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def no_such_bucket(bucket: str) -> ServiceError:
    """The bucket does not exist (in any account)."""
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": bucket})


def access_denied() -> ServiceError:
    """The caller may not act on the bucket (another account's, or an expected-owner mismatch)."""
    return ServiceError("AccessDenied", "Access Denied", 403)


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


def key_too_long() -> ServiceError:
    return ServiceError("KeyTooLongError", "Your key is too long", 400)


def method_not_allowed_on_delete_marker() -> ServiceError:
    return ServiceError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        fields={"Method": "GET", "ResourceType": "DeleteMarker"},
    )
