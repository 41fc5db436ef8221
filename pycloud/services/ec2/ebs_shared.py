"""What the EC2 volume, snapshot and fast-restore operations share: errors, id checks, tags,
filters' value forms and pagination."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.timestamps import format_iso8601
from pycloud.services.ec2.zones import Zone, zones_for_region
from pycloud.services.pagination import decode_token, next_token, paginate

T = TypeVar("T")

VOLUME_ID = re.compile(r"vol-(?:[0-9a-f]{8}|[0-9a-f]{17})")
SNAPSHOT_ID = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
INSTANCE_ID = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, 400)


def combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message, 400)


def missing(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}", 400)


def incorrect_state(message: str) -> ServiceError:
    return ServiceError("IncorrectState", message, 400)


def check_dry_run(params: dict[str, Any]) -> None:
    """After validation: a DryRun request that would have succeeded answers DryRunOperation."""
    if params.get("DryRun"):
        raise ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)


def _not_found(code: str, noun: str, ids: list[str]) -> ServiceError:
    if len(ids) == 1:
        return ServiceError(code, f"The {noun} '{ids[0]}' does not exist.", 400)
    return ServiceError(code, f"The {noun}s '{', '.join(ids)}' do not exist.", 400)


def volume_not_found(*ids: str) -> ServiceError:
    return _not_found("InvalidVolume.NotFound", "volume", list(ids))


def snapshot_not_found(*ids: str) -> ServiceError:
    return _not_found("InvalidSnapshot.NotFound", "snapshot", list(ids))


def check_volume_id(volume_id: str) -> str:
    """``volume_id`` when well formed, else InvalidVolumeID.Malformed."""
    if not VOLUME_ID.fullmatch(volume_id or ""):
        raise ServiceError("InvalidVolumeID.Malformed", f'Invalid id: "{volume_id}" (expecting "vol-...")', 400)
    return volume_id


def check_snapshot_id(snapshot_id: str) -> str:
    """``snapshot_id`` when well formed, else InvalidSnapshotID.Malformed."""
    if not SNAPSHOT_ID.fullmatch(snapshot_id or ""):
        raise ServiceError(
            "InvalidSnapshotID.Malformed", f'Invalid id: "{snapshot_id}" (expecting "snap-...")', 400
        )
    return snapshot_id


def find_zone(region: str, name: str | None, zone_id: str | None) -> Zone:
    """The Availability Zone named (or identified) in a request; InvalidZone.NotFound otherwise."""
    if not name and not zone_id:
        raise missing("AvailabilityZone")
    if name and zone_id:
        raise combination("The parameter AvailabilityZone cannot be used with the parameter AvailabilityZoneId")
    for zone in zones_for_region(region):
        if zone.zone_type == "availability-zone" and (zone.name == name or zone.zone_id == zone_id):
            return zone
    raise ServiceError("InvalidZone.NotFound", f"The zone '{name or zone_id}' does not exist.", 400)


# -- tags ---------------------------------------------------------------------------------------------


def tags_for(params: dict[str, Any], resource_type: str) -> dict[str, str]:
    """The tags a request's TagSpecifications give a new resource of ``resource_type``."""
    tags: dict[str, str] = {}
    for spec in params.get("TagSpecifications") or ():
        kind = spec.get("ResourceType")
        if kind != resource_type:
            raise invalid(f"'{kind}' is not a valid taggable resource type for this operation.")
        for tag in spec.get("Tags") or ():
            key = tag.get("Key")
            if not key:
                raise invalid("Tag key must be specified.")
            if key.lower().startswith("aws:"):
                raise invalid("Tag keys starting with 'aws:' are reserved for internal use")
            if len(key) > 127 or len(tag.get("Value") or "") > 255:
                raise invalid("Tag keys can have at most 127 characters and values at most 255.")
            tags[key] = tag.get("Value") or ""
    if len(tags) > 50:
        raise ServiceError("TagLimitExceeded", "The maximum number of tags per resource is 50.", 400)
    return tags


def tag_list(tags: dict[str, str]) -> list[dict[str, str]] | None:
    """Tags in EC2's output form (omitted when there are none)."""
    return [{"Key": k, "Value": v} for k, v in tags.items()] or None


def tag_getters(tags_of: Callable[[Any], dict[str, str]]) -> dict[str, Callable[[Any], Any]]:
    """The ``tag-key`` filter; ``tag:<key>`` filters are resolved by :func:`filter_getters`."""
    return {"tag-key": lambda item: list(tags_of(item))}


def filter_getters(
    filters: list[dict[str, Any]] | None,
    getters: dict[str, Callable[[Any], Any]],
    tags_of: Callable[[Any], dict[str, str]],
) -> dict[str, Callable[[Any], Any]]:
    """``getters`` plus one getter per ``tag:<key>`` filter the request uses."""
    found = dict(getters)
    found.update(tag_getters(tags_of))
    for flt in filters or ():
        name = flt.get("Name") or ""
        if name.startswith("tag:") and name not in found:
            key = name[4:]
            found[name] = lambda item, key=key: [tags_of(item)[key]] if key in tags_of(item) else []
    return found


def text(value: Any) -> str | None:
    """A value as an EC2 filter compares it: booleans lower case, timestamps ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def when(value: float | None) -> str | None:
    return format_iso8601(value) if value is not None else None


# -- pagination ---------------------------------------------------------------------------------------


def page_size(params: dict[str, Any], low: int, high: int, ids_key: str | None = None) -> int | None:
    """The validated MaxResults (None when absent)."""
    size = params.get("MaxResults")
    if size is None:
        return None
    if ids_key and params.get(ids_key):
        raise combination(f"The parameter {ids_key[0].lower() + ids_key[1:]} cannot be used with the parameter maxResults")
    if not low <= size <= high:
        raise invalid(f"Value ( {size} ) for parameter maxResults is invalid. Parameter must be between {low} and {high}.")
    return size


def page(items: Iterable[T], key: Callable[[T], str], params: dict[str, Any], scope: str, size: int | None,
         default: int = 1000) -> tuple[list[T], str | None]:
    """One page of ``items`` after the request's NextToken, and the token for the next page."""
    token = params.get("NextToken")
    after = decode_token(token, scope, lambda: invalid(f"The token '{token}' is invalid.")) if token else None
    chosen = paginate(items, key, after, size or (default if token else 1 << 30))
    return chosen.items, next_token(chosen, scope)


def digest(params: dict[str, Any], *, skip: tuple[str, ...] = ("ClientToken", "DryRun")) -> str:
    """A stable fingerprint of a request's parameters (ClientToken idempotency)."""
    kept = {k: v for k, v in params.items() if k not in skip}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def idempotent_mismatch(token: str) -> ServiceError:
    return ServiceError(
        "IdempotentParameterMismatch",
        f"The client token '{token}' has already been used with different parameters.",
        400,
    )
