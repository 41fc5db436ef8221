"""S3 event notifications: build AWS's event record for an object change and route it on the bus.

Each successful object change calls :func:`object_created`, :func:`object_removed` or
:func:`object_tagging`; what S3 does by itself (restore progress, lifecycle transitions) calls
:func:`restore_finished` / :func:`lifecycle_transition`, whose records name S3 as the principal.
When the bucket has a notification configuration, the change is matched against its
Queue/Topic/LambdaFunction configurations (event name patterns, prefix/suffix key filters) and one
:class:`~pycloud.events.S3Notification` per matching configuration is published on
:data:`~pycloud.events.S3_NOTIFICATION_TOPIC`; delivery is up to SQS/SNS/Lambda. A bucket without
notifications costs one dict lookup: no record is built.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from pycloud.events import S3_NOTIFICATION_TOPIC, S3Notification
from pycloud.protocol.rest_xml import host_id
from pycloud.services.s3.models import canonical_user_id

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.base import ServiceRuntime
    from pycloud.services.s3.models import Bucket

SERVICE_PRINCIPAL = "s3.amazonaws.com"
"""``userIdentity`` and source of the events S3 causes itself."""

# configuration list member → (ARN member, destination type)
DESTINATIONS = {
    "QueueConfigurations": ("QueueArn", "queue"),
    "TopicConfigurations": ("TopicArn", "topic"),
    "LambdaFunctionConfigurations": ("LambdaFunctionArn", "lambda"),
}


class _Sequencer:
    """Increasing hex sequencers (so they increase per key too), seeded by the virtual clock."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self, now: datetime) -> str:
        with self._lock:
            self._last = max(int(now.timestamp() * 1_000_000_000), self._last + 1)
            return f"{self._last:018X}"


_SEQUENCER = _Sequencer()


# -- matching -------------------------------------------------------------------------------------


def event_matches(pattern: str, event_name: str) -> bool:
    """Whether a configured event (``s3:ObjectCreated:*``) covers ``event_name`` (``ObjectCreated:Put``)."""
    full = f"s3:{event_name}"
    return pattern == full or (pattern.endswith(":*") and full.startswith(pattern[:-1]))


def key_matches(config: dict[str, Any], key: str) -> bool:
    """Whether ``key`` passes the configuration's prefix/suffix filter rules (names case-insensitive)."""
    rules = (((config.get("Filter") or {}).get("Key")) or {}).get("FilterRules") or []
    for rule in rules:
        name = str(rule.get("Name") or "").lower()
        value = rule.get("Value") or ""
        if (name == "prefix" and not key.startswith(value)) or (name == "suffix" and not key.endswith(value)):
            return False
    return True


def matching_destinations(notification: dict[str, Any], event_name: str, key: str) -> list[tuple[str, str, str]]:
    """``(destination ARN, destination type, configuration id)`` of every configuration the event matches."""
    found = []
    for member, (arn_member, kind) in DESTINATIONS.items():
        for config in notification.get(member) or ():
            if any(event_matches(p, event_name) for p in config.get("Events") or ()) and key_matches(config, key):
                found.append((config[arn_member], kind, config.get("Id") or ""))
    return found


# -- the record -----------------------------------------------------------------------------------


def event_time(now: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as S3 writes ``eventTime``."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def encode_key(key: str) -> str:
    """The key as S3 puts it in events: form-URL-encoded (space → ``+``), slashes kept."""
    return quote_plus(key, safe="/")


def owner_principal_id(account_id: str) -> str:
    """A stable customer-id-like principal for the bucket owner (AWS uses the retail customer ID)."""
    return "A" + canonical_user_id(account_id)[:13].upper()


def caller_principal_id(ctx: RequestContext) -> str:
    """``userIdentity.principalId``: ``AWS:<unique id>`` for IAM identities, the customer id for root."""
    principal = ctx.principal
    if principal.kind == "anonymous":
        return "ANONYMOUS_PRINCIPAL"
    if principal.kind != "root" and principal.user_id:
        return f"AWS:{principal.user_id}"
    return owner_principal_id(principal.account_id)


def build_record(
    ctx: RequestContext, bucket: Bucket, event_name: str, key: str, obj: dict[str, Any], configuration_id: str
) -> dict[str, Any]:
    """One element of ``Records`` (event structure 2.1); ``obj`` holds size/eTag/versionId/sequencer."""
    return _record(
        bucket, event_name, key, obj, configuration_id,
        now=ctx.now, principal_id=caller_principal_id(ctx), source_ip=ctx.source_ip, request_id=ctx.request_id,
    )


def _record(
    bucket: Bucket, event_name: str, key: str, obj: dict[str, Any], configuration_id: str, *,
    now: datetime, principal_id: str, source_ip: str, request_id: str,
) -> dict[str, Any]:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": event_time(now),
        "eventName": event_name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id(request_id)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": owner_principal_id(bucket.account_id)},
                "arn": bucket.arn,
            },
            "object": {"key": encode_key(key), **obj},
        },
    }


def emit(
    runtime: ServiceRuntime, ctx: RequestContext, bucket: Bucket, event_name: str, key: str, obj: dict[str, Any]
) -> int:
    """Publish one notification per matching configuration; the number published."""
    return _publish(runtime, bucket, event_name, key, obj, ctx.now,
                    lambda full, config_id: build_record(ctx, bucket, event_name, key, full, config_id))


def emit_service(
    runtime: ServiceRuntime, bucket: Bucket, event_name: str, key: str, obj: dict[str, Any], now: datetime,
    extra: dict[str, Any] | None = None,
) -> int:
    """Publish an event S3 causes by itself (lifecycle, restore completion and expiry): no request
    behind it, so the principal and source are S3's own; ``extra`` holds top-level record members
    such as ``glacierEventData`` or ``lifecycleEventData``."""
    request_id = secrets.token_hex(8).upper()

    def make(full: dict[str, Any], config_id: str) -> dict[str, Any]:
        record = _record(bucket, event_name, key, full, config_id, now=now, principal_id=SERVICE_PRINCIPAL,
                         source_ip=SERVICE_PRINCIPAL, request_id=request_id)
        record.update(extra or {})
        return record

    return _publish(runtime, bucket, event_name, key, obj, now, make)


def _publish(
    runtime: ServiceRuntime, bucket: Bucket, event_name: str, key: str, obj: dict[str, Any], now: datetime,
    make: Callable[[dict[str, Any], str], dict[str, Any]],
) -> int:
    notification = bucket.configs.get("notification")
    if not notification:
        return 0
    targets = matching_destinations(notification, event_name, key)
    if not targets:
        return 0
    obj = {**obj, "sequencer": _SEQUENCER.next(now)}
    for arn, kind, config_id in targets:
        runtime.events.publish(S3_NOTIFICATION_TOPIC, S3Notification(arn, kind, config_id, make(obj, config_id)))
    return len(targets)


# -- the hooks the operations call ----------------------------------------------------------------


def _version(bucket: Bucket, version_id: str) -> dict[str, str]:
    # Unversioned buckets carry no versionId; suspended ones write the "null" version.
    return {"versionId": version_id or "null"} if bucket.versioning else {}


def object_created(
    runtime: ServiceRuntime, ctx: RequestContext, bucket: Bucket, event_name: str, key: str, info: Any
) -> None:
    """``ObjectCreated:*`` for a committed version (``info``: the store's ObjectInfo)."""
    if bucket.configs.get("notification"):
        obj = {"size": info.size, "eTag": info.etag, **_version(bucket, info.version_id)}
        emit(runtime, ctx, bucket, event_name, key, obj)


def object_removed(
    runtime: ServiceRuntime, ctx: RequestContext, bucket: Bucket, key: str, requested_version: str, deleted: Any
) -> None:
    """``ObjectRemoved:Delete`` / ``DeleteMarkerCreated`` for a delete that removed something."""
    if deleted is None or not bucket.configs.get("notification"):
        return
    marker = bool(deleted.is_delete_marker) and not requested_version
    event_name = "ObjectRemoved:DeleteMarkerCreated" if marker else "ObjectRemoved:Delete"
    version_id = deleted.version_id or requested_version
    emit(runtime, ctx, bucket, event_name, key, _version(bucket, version_id))


def object_tagging(
    runtime: ServiceRuntime, ctx: RequestContext, bucket: Bucket, event_name: str, info: Any
) -> None:
    """``ObjectTagging:Put`` / ``ObjectTagging:Delete`` for one version (``info``: its ObjectInfo)."""
    if bucket.configs.get("notification"):
        obj = {"eTag": info.etag, **_version(bucket, info.version_id)}
        emit(runtime, ctx, bucket, event_name, info.key, obj)


def restore_posted(runtime: ServiceRuntime, ctx: RequestContext, bucket: Bucket, info: Any) -> None:
    """``ObjectRestore:Post``: a restore of an archived version was started (or sped up)."""
    if bucket.configs.get("notification"):
        obj = {"size": info.size, "eTag": info.etag, **_version(bucket, info.version_id)}
        emit(runtime, ctx, bucket, "ObjectRestore:Post", info.key, obj)


def restore_finished(
    runtime: ServiceRuntime, bucket: Bucket, event_name: str, info: Any, storage_class: str, expiry: datetime,
    now: datetime,
) -> None:
    """``ObjectRestore:Completed`` (the copy is readable) or ``ObjectRestore:Delete`` (it expired)."""
    if bucket.configs.get("notification"):
        obj = {"size": info.size, "eTag": info.etag, **_version(bucket, info.version_id)}
        extra = {}
        if event_name == "ObjectRestore:Completed":
            extra = {"glacierEventData": {"restoreEventData": {
                "lifecycleRestorationExpiryTime": event_time(expiry), "lifecycleRestoreStorageClass": storage_class,
            }}}
        emit_service(runtime, bucket, event_name, info.key, obj, now, extra)


def lifecycle_transition(
    runtime: ServiceRuntime, bucket: Bucket, key: str, version: Any, storage_class: str, now: datetime
) -> None:
    """``LifecycleTransition``: a lifecycle rule moved a version to ``storage_class``."""
    if bucket.configs.get("notification"):
        obj = {"size": version.size, "eTag": version.etag, **_version(bucket, version.version_id)}
        extra = {"lifecycleEventData": {"transitionEventData": {"destinationStorageClass": storage_class}}}
        emit_service(runtime, bucket, "LifecycleTransition", key, obj, now, extra)


# -- s3:TestEvent ---------------------------------------------------------------------------------


def _destinations(notification: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    return [
        (config[arn_member], kind, config.get("Id") or "")
        for member, (arn_member, kind) in DESTINATIONS.items()
        for config in (notification or {}).get(member) or ()
    ]


def send_test_events(
    runtime: ServiceRuntime, ctx: RequestContext, bucket_name: str,
    old: dict[str, Any] | None, new: dict[str, Any] | None,
) -> int:
    """``s3:TestEvent`` to each destination ARN ``new`` adds over ``old``; the number sent.

    Sent by PutBucketNotificationConfiguration. The message is AWS's test
    message (not a ``Records`` entry), so consumers deliver ``record`` as is.
    """
    known = {arn for arn, _, _ in _destinations(old)}
    sent = 0
    for arn, kind, config_id in _destinations(new):
        if arn in known:
            continue
        known.add(arn)
        message = {
            "Service": "Amazon S3", "Event": "s3:TestEvent", "Time": event_time(ctx.now), "Bucket": bucket_name,
            "RequestId": ctx.request_id, "HostId": host_id(ctx.request_id),
        }
        runtime.events.publish(S3_NOTIFICATION_TOPIC, S3Notification(arn, kind, config_id, message))
        sent += 1
    return sent
