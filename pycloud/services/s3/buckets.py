"""Bucket names, locations and ownership checks: the rules CreateBucket and every bucket call share."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.model import load_service_model
from pycloud.services.s3 import authorization, errors
from pycloud.services.s3.models import Bucket, BucketTable

US_EAST_1 = "us-east-1"

_NAME_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def is_valid_bucket_name(name: str) -> bool:
    """AWS's general purpose bucket naming rules (the legacy us-east-1 rules no longer apply)."""
    if not 3 <= len(name) <= 63 or not _NAME_CHARS.match(name) or ".." in name:
        return False
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False  # formatted as an IP address


def validate_bucket_name(name: str) -> None:
    """Raise ``InvalidBucketName`` unless ``name`` follows the naming rules."""
    if not is_valid_bucket_name(name):
        raise errors.invalid_bucket_name(name)


def _known_constraints() -> frozenset[str]:
    return frozenset(load_service_model("s3").shapes["BucketLocationConstraint"]["enum"])


def bucket_region(request_region: str, configuration: dict[str, Any] | None) -> str:
    """The region a CreateBucket request creates its bucket in, or the AWS error for its constraint.

    Requests to us-east-1 (the global endpoint) may name any other region, or none (us-east-1);
    naming us-east-1 itself is invalid. Any other regional endpoint only takes its own region.
    """
    constraint = (configuration or {}).get("LocationConstraint") or ""
    if constraint and (constraint == US_EAST_1 or constraint not in _known_constraints()):
        raise errors.invalid_location_constraint(constraint)
    region = "eu-west-1" if constraint == "EU" else constraint  # "EU" is the legacy name of eu-west-1
    if request_region == US_EAST_1:
        return region or US_EAST_1
    if region != request_region:
        raise errors.illegal_location_constraint(constraint or None)
    return region


def location_constraint(bucket: Bucket) -> str:
    """GetBucketLocation's answer: empty for us-east-1, the region otherwise."""
    return "" if bucket.region == US_EAST_1 else bucket.region


def owned_bucket(
    table: BucketTable, ctx: RequestContext, params: dict[str, Any],
    object_grants: authorization.ObjectGrants | None = None,
) -> Bucket:
    """The bucket a request names, checked that the caller may perform the request's operation on it.

    ``NoSuchBucket`` when no account has it; ``AccessDenied`` when S3 authorization (bucket policy,
    ACLs, Block Public Access: see ``authorization``; ``object_grants`` reads object ACLs) refuses the
    caller or when the request's ``ExpectedBucketOwner`` is not the owner.
    """
    name = params.get("Bucket") or ""
    bucket = table.locate(name)
    if bucket is None:
        raise errors.no_such_bucket(name)
    authorization.authorize(bucket, ctx, params, object_grants)
    expected = params.get("ExpectedBucketOwner")
    if expected is not None and expected != bucket.account_id:
        raise errors.access_denied()
    return bucket
