"""Echoing stub providers for protocol round-trip tests (``pycloud serve --provider svc=stub_providers:X``).

Each stub answers with what it was sent, reshaped into the operation's output, so a boto3 call
that gets its own input back proves that pycloud parsed the request and serialized the answer
correctly. Everything is deterministic: no clocks, no randomness. The few stubs that keep data
(S3 bodies, SQS messages, CloudWatch datapoints, Lambda functions) keep it in plain dicts: they
are test doubles, not services.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream
from pycloud.services.base import Provider

FIXED_TIME = datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=UTC)
"""The one timestamp stubs invent (sub-second on purpose: protocols that carry millis must keep them)."""

MISSING = "missing"
"""Resource names containing this word make the stubs raise their service's not-found error."""

Params = dict[str, Any]


def _json_default(value: Any) -> Any:
    """json.dumps fallback for parsed params: datetimes as ISO text, bytes as base64."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__}")


def echo_json(value: Any) -> str:
    """Parsed params as JSON text, so tests can compare structures that travel back as a string."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


# --- DynamoDB (json) -------------------------------------------------------------------------------


class DynamoDbStub(Provider):
    """Echoes items, keys and expression values back as items."""

    service = "dynamodb"

    @staticmethod
    def _check_table(params: Params) -> None:
        if MISSING in params["TableName"]:
            raise ServiceError("ResourceNotFoundException", "Requested resource not found", 400)

    @staticmethod
    def _capacity(params: Params, units: float) -> dict[str, Any] | None:
        if params.get("ReturnConsumedCapacity", "NONE") == "NONE":
            return None
        return {
            "TableName": params["TableName"],
            "CapacityUnits": units,
            "WriteCapacityUnits": units,
            "Table": {"CapacityUnits": units, "ReadCapacityUnits": 0.0},
            "GlobalSecondaryIndexes": {"by-owner": {"CapacityUnits": units / 4}},
        }

    def put_item(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Attributes = the item sent; capacity and collection metrics derived from it."""
        self._check_table(params)
        item = params["Item"]
        first_key = sorted(item)[0]
        return {
            "Attributes": item,
            "ConsumedCapacity": self._capacity(params, len(item) + 0.5),
            "ItemCollectionMetrics": {
                "ItemCollectionKey": {first_key: item[first_key]},
                "SizeEstimateRangeGB": [0.0, float(len(item))],
            },
        }

    def get_item(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Item = the key, plus the ConsistentRead flag, projection and attribute names as attributes."""
        self._check_table(params)
        item = dict(params["Key"])
        item["consistent"] = {"BOOL": params.get("ConsistentRead", False)}
        if "ProjectionExpression" in params:
            item["projection"] = {"S": params["ProjectionExpression"]}
        names = params.get("ExpressionAttributeNames")
        if names is not None:
            item["names"] = {"M": {key: {"S": value} for key, value in names.items()}}
        return {"Item": item, "ConsumedCapacity": self._capacity(params, 0.5)}

    def query(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Items = [ExpressionAttributeValues]; the start key comes back as LastEvaluatedKey."""
        self._check_table(params)
        items = [params.get("ExpressionAttributeValues", {})]
        if "KeyConditionExpression" in params:
            items.append({"condition": {"S": params["KeyConditionExpression"]}})
        return {
            "Items": items,
            "Count": len(items),
            "ScannedCount": len(items) + params.get("Limit", 0),
            "LastEvaluatedKey": params.get("ExclusiveStartKey"),
            "ConsumedCapacity": self._capacity(params, 1.0),
        }


# --- SQS (json, query) -----------------------------------------------------------------------------


class SqsStub(Provider):
    """Keeps sent messages per queue URL and hands them back on receive (without ever hiding them)."""

    service = "sqs"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.queues: dict[str, list[dict[str, Any]]] = {}

    def reset(self) -> None:
        self.queues.clear()

    @staticmethod
    def _check_queue(url: str) -> None:
        if MISSING in url:
            # SQS's JSON answers carry the legacy query code in x-amzn-query-error.
            raise ServiceError(
                "QueueDoesNotExist",
                "The specified queue does not exist.",
                400,
                headers={"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"},
            )

    def send_message_batch(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Stores each entry; entries whose Id starts with ``fail`` are reported as Failed."""
        url = params["QueueUrl"]
        self._check_queue(url)
        stored = self.queues.setdefault(url, [])
        successful, failed = [], []
        for entry in params["Entries"]:
            if entry["Id"].startswith("fail"):
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": "InvalidParameterValue",
                        "Message": entry["MessageBody"],
                    }
                )
                continue
            body = entry["MessageBody"]
            message_id = f"{len(stored):08d}-{hashlib.md5(body.encode()).hexdigest()[:12]}"
            stored.append({"MessageId": message_id, **entry})
            successful.append(
                {
                    "Id": entry["Id"],
                    "MessageId": message_id,
                    "MD5OfMessageBody": hashlib.md5(body.encode("utf-8")).hexdigest(),
                    "SequenceNumber": str(10**19 + len(stored)) if "MessageGroupId" in entry else None,
                }
            )
        return {"Successful": successful, "Failed": failed}

    def receive_message(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """The stored messages with their attributes and deterministic system attributes."""
        url = params["QueueUrl"]
        self._check_queue(url)
        wanted_system = set(params.get("MessageSystemAttributeNames", []) or params.get("AttributeNames", []))
        wanted_user = set(params.get("MessageAttributeNames", []))
        messages = []
        for index, entry in enumerate(self.queues.get(url, [])[: params.get("MaxNumberOfMessages", 1)]):
            system = {
                "SentTimestamp": str(1709210096789 + index),
                "ApproximateReceiveCount": "1",
                "SenderId": ctx.principal.user_id or ctx.account_id,
            }
            if "MessageGroupId" in entry:
                system["MessageGroupId"] = entry["MessageGroupId"]
            if "All" not in wanted_system:
                system = {key: value for key, value in system.items() if key in wanted_system}
            user = entry.get("MessageAttributes") or {}
            if "All" not in wanted_user and ".*" not in wanted_user:
                user = {key: value for key, value in user.items() if key in wanted_user}
            messages.append(
                {
                    "MessageId": entry["MessageId"],
                    "ReceiptHandle": f"{entry['MessageId']}#{params.get('ReceiveRequestAttemptId', '')}",
                    "MD5OfBody": hashlib.md5(entry["MessageBody"].encode("utf-8")).hexdigest(),
                    "Body": entry["MessageBody"],
                    "Attributes": system or None,
                    "MessageAttributes": user or None,
                }
            )
        return {"Messages": messages}

    def get_queue_attributes(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Each requested name maps to a value derived from it (Policy: JSON with XML specials)."""
        url = params["QueueUrl"]
        self._check_queue(url)
        attributes = {}
        for name in params.get("AttributeNames", []):
            if name == "Policy":
                attributes[name] = json.dumps({"Statement": [{"Sid": "a<b>&'c\"", "Note": "naïve ✓"}]})
            else:
                attributes[name] = f"{name}={len(self.queues.get(url, []))}"
        return {"Attributes": attributes}


# --- CloudWatch (smithy-rpc-v2-cbor, json, query) --------------------------------------------------


class CloudWatchStub(Provider):
    """Stores datapoints per namespace; GetMetricData hands back timestamps and values of matching ones."""

    service = "cloudwatch"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.data: dict[str, list[dict[str, Any]]] = {}

    def reset(self) -> None:
        self.data.clear()

    def put_metric_data(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Stores the datums; a namespace containing ``missing`` is refused (modelled error)."""
        namespace = params["Namespace"]
        if MISSING in namespace:
            raise ServiceError("InvalidParameterValueException", f"The namespace {namespace} is not allowed.", 400)
        self.data.setdefault(namespace, []).extend(params["MetricData"])
        return {}

    def get_metric_data(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Per query: Timestamps/Values of matching datums (see ``_datum_value``), each datum
        echoed as JSON in Messages; the request window comes back in the top-level Messages."""
        results = []
        for query in params["MetricDataQueries"]:
            metric = query["MetricStat"]["Metric"]
            dimensions = {(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])}
            datums = [
                datum
                for datum in self.data.get(metric["Namespace"], [])
                if datum["MetricName"] == metric["MetricName"]
                and {(d["Name"], d["Value"]) for d in datum.get("Dimensions", [])} == dimensions
            ]
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label", metric["MetricName"]),
                    "Timestamps": [datum["Timestamp"] for datum in datums],
                    "Values": [_datum_value(datum) for datum in datums],
                    "StatusCode": "Complete" if datums else "PartialData",
                    "Messages": [{"Code": "Datum", "Value": echo_json(datum)} for datum in datums],
                }
            )
        window = [
            {"Code": "StartTime", "Value": params["StartTime"].isoformat()},
            {"Code": "EndTime", "Value": params["EndTime"].isoformat()},
            {"Code": "ScanBy", "Value": params.get("ScanBy", "")},
        ]
        return {"MetricDataResults": results, "Messages": window, "NextToken": params.get("NextToken")}


def _datum_value(datum: dict[str, Any]) -> float:
    """One number per datum: its Value, else its StatisticValues Sum, else the sum of Values x Counts."""
    if "Value" in datum:
        return datum["Value"]
    if "StatisticValues" in datum:
        return datum["StatisticValues"]["Sum"]
    counts = datum.get("Counts") or [1.0] * len(datum.get("Values", []))
    return sum(value * count for value, count in zip(datum.get("Values", []), counts, strict=False))


# --- EC2 (ec2) -------------------------------------------------------------------------------------


class Ec2Stub(Provider):
    """RunInstances builds instances from its input; DescribeInstances filters them by id and tag."""

    service = "ec2"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.instances: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.instances.clear()

    def run_instances(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """One instance per MaxCount, echoing tags, block devices, booleans and UserData."""
        tags = [
            tag
            for spec in params.get("TagSpecifications", [])
            if spec.get("ResourceType") == "instance"
            for tag in spec.get("Tags", [])
        ]
        instances = []
        for index in range(params["MaxCount"]):
            instance_id = f"i-{len(self.instances):017x}"
            instance = {
                "InstanceId": instance_id,
                "ImageId": params["ImageId"],
                "InstanceType": params.get("InstanceType", "m1.small"),
                "LaunchTime": FIXED_TIME + timedelta(seconds=index),
                "AmiLaunchIndex": index,
                "State": {"Code": 0, "Name": "pending"},
                "Tags": tags,
                "EbsOptimized": params.get("EbsOptimized", False),
                "SourceDestCheck": not params.get("DisableApiTermination", False),
                "Monitoring": {"State": "enabled" if params.get("Monitoring", {}).get("Enabled") else "disabled"},
                "StateTransitionReason": params.get("UserData", ""),
                "KeyName": params.get("KeyName"),
                "ClientToken": params.get("ClientToken"),
                "BlockDeviceMappings": [
                    {
                        "DeviceName": mapping["DeviceName"],
                        "Ebs": {
                            "VolumeId": f"vol-{index:04d}{position:013x}",
                            "Status": "attaching",
                            "AttachTime": FIXED_TIME,
                            "DeleteOnTermination": mapping.get("Ebs", {}).get("DeleteOnTermination", True),
                            "EbsCardIndex": mapping.get("Ebs", {}).get("VolumeSize", 0),
                        },
                    }
                    for position, mapping in enumerate(params.get("BlockDeviceMappings", []))
                ],
            }
            self.instances[instance_id] = instance
            instances.append(instance)
        return {
            "ReservationId": f"r-{len(self.instances):017x}",
            "OwnerId": ctx.account_id,
            "Groups": [],
            "Instances": instances,
        }

    def describe_instances(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Instances by id (unknown id: InvalidInstanceID.NotFound), then ``tag:K`` / ``instance-type`` filters."""
        ids = params.get("InstanceIds") or list(self.instances)
        unknown = [instance_id for instance_id in ids if instance_id not in self.instances]
        if unknown:
            raise ServiceError(
                "InvalidInstanceID.NotFound", f"The instance ID '{', '.join(unknown)}' does not exist", 400
            )
        found = [self.instances[instance_id] for instance_id in ids]
        for filt in params.get("Filters", []):
            name, values = filt["Name"], set(filt.get("Values", []))
            if name.startswith("tag:"):
                key = name[4:]
                found = [i for i in found if any(t["Key"] == key and t["Value"] in values for t in i["Tags"])]
            elif name == "instance-type":
                found = [i for i in found if i["InstanceType"] in values]
            else:
                raise ServiceError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)
        reservations = [
            {"ReservationId": "r-" + i["InstanceId"][2:], "OwnerId": ctx.account_id, "Instances": [i]} for i in found
        ]
        return {"Reservations": reservations, "NextToken": params.get("NextToken")}


# --- STS (query) -----------------------------------------------------------------------------------


class StsStub(Provider):
    """AssumeRole credentials derived from the request; the policy inputs travel back in the token."""

    service = "sts"

    def assume_role(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Expiration = FIXED_TIME + DurationSeconds; SessionToken = the policy inputs as JSON."""
        role_arn, session = params["RoleArn"], params["RoleSessionName"]
        if role_arn.endswith(f"role/{MISSING}"):
            raise ServiceError(
                "RegionDisabledException", f"STS is not activated in {ctx.region} for this account.", 403
            )
        role_name = role_arn.rsplit("/", 1)[-1]
        digest = hashlib.sha1(f"{role_arn}/{session}".encode()).hexdigest().upper()
        token = {
            "PolicyArns": [ref["arn"] for ref in params.get("PolicyArns", [])],
            "Policy": params.get("Policy"),
            "Tags": {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])},
            "TransitiveTagKeys": params.get("TransitiveTagKeys", []),
            "ExternalId": params.get("ExternalId"),
        }
        return {
            "Credentials": {
                "AccessKeyId": "ASIA" + digest[:16],
                "SecretAccessKey": digest[16:40],
                "SessionToken": echo_json(token),
                "Expiration": FIXED_TIME + timedelta(seconds=params.get("DurationSeconds", 3600)),
            },
            "AssumedRoleUser": {
                "AssumedRoleId": f"AROA{digest[:17]}:{session}",
                "Arn": f"arn:aws:sts::{ctx.account_id}:assumed-role/{role_name}/{session}",
            },
            "PackedPolicySize": len(params.get("Policy") or "") % 101,
            "SourceIdentity": params.get("SourceIdentity"),
        }


# --- S3 (rest-xml) ---------------------------------------------------------------------------------

_CHECKSUMS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1", "ChecksumSHA256")
STREAM_CHUNK = 1 << 20
"""Bodies above this size are answered as an async iterator of chunks of this size."""


async def _read_body(body: Any) -> bytes:
    """A payload param as bytes: BodyStream (streamed request) or bytes (buffered)."""
    if isinstance(body, BodyStream):
        parts = []
        while chunk := await body.read():
            parts.append(chunk)
        return b"".join(parts)
    return bytes(body or b"")


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), STREAM_CHUNK):
        yield data[start : start + STREAM_CHUNK]


class S3Stub(Provider):
    """Objects, tags and ACLs in dicts keyed by bucket; enough S3 to echo every rest-xml binding."""

    service = "s3"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.acls: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.objects.clear()
        self.tags.clear()
        self.acls.clear()

    def _get(self, params: Params) -> dict[str, Any]:
        found = self.objects.get((params["Bucket"], params["Key"]))
        if found is None:
            raise ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": params["Key"]})
        return found

    async def put_object(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Reads the whole body; ETag = quoted MD5; checksum members echoed (trailer values included)."""
        data = await _read_body(params.get("Body"))
        # A trailing checksum arrives after the body, so it is in the request headers only now.
        headers = ctx.request.headers if ctx.request is not None else {}
        checksums = {name: params.get(name) or headers.get("x-amz-checksum-" + name[8:].lower()) for name in _CHECKSUMS}
        self.objects[(params["Bucket"], params["Key"])] = {
            "Body": data,
            "ETag": '"' + hashlib.md5(data).hexdigest() + '"',
            "Metadata": params.get("Metadata") or {},
            "ContentType": params.get("ContentType", "binary/octet-stream"),
            "LastModified": FIXED_TIME,
            "Checksums": checksums,
            "StorageClass": params.get("StorageClass", "STANDARD"),
        }
        return {"ETag": self.objects[(params["Bucket"], params["Key"])]["ETag"], "Size": len(data), **checksums}

    def get_object(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """The stored body (large ones streamed in chunks) with its metadata headers."""
        found = self._get(params)
        data = found["Body"]
        return {
            "Body": _chunks(data) if len(data) > STREAM_CHUNK else data,
            "ContentLength": len(data),
            "ContentType": found["ContentType"],
            "ETag": found["ETag"],
            "LastModified": found["LastModified"],
            "Metadata": found["Metadata"],
            "StorageClass": found["StorageClass"],
        }

    def head_object(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """get_object without the body."""
        found = self._get(params)
        return {
            "ContentLength": len(found["Body"]),
            "ContentType": found["ContentType"],
            "ETag": found["ETag"],
            "LastModified": found["LastModified"],
            "Metadata": found["Metadata"],
        }

    def list_objects_v2(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Prefix/Delimiter listing of the stored keys (url-encoded when EncodingType=url, as S3 does)."""
        bucket, prefix, delimiter = params["Bucket"], params.get("Prefix", ""), params.get("Delimiter")
        encode = (
            (lambda text: quote_plus(text, safe="/")) if params.get("EncodingType") == "url" else (lambda text: text)
        )
        contents, prefixes = [], []
        for (obj_bucket, key), found in sorted(self.objects.items()):
            if obj_bucket != bucket or not key.startswith(prefix):
                continue
            if delimiter and delimiter in key[len(prefix) :]:
                common = key[: len(prefix) + key[len(prefix) :].index(delimiter) + len(delimiter)]
                if common not in prefixes:
                    prefixes.append(common)
                continue
            contents.append(
                {
                    "Key": encode(key),
                    "LastModified": found["LastModified"],
                    "ETag": found["ETag"],
                    "Size": len(found["Body"]),
                    "StorageClass": found["StorageClass"],
                }
            )
        return {
            "Name": bucket,
            "Prefix": encode(prefix),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": params.get("MaxKeys", 1000),
            "KeyCount": len(contents) + len(prefixes),
            "IsTruncated": False,
            "EncodingType": params.get("EncodingType"),
            "Contents": contents,
            "CommonPrefixes": [{"Prefix": encode(p)} for p in prefixes],
        }

    def delete_objects(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Echoes the list: keys containing ``locked`` become Errors, the rest Deleted (with VersionId)."""
        deleted, errors = [], []
        for obj in params["Delete"]["Objects"]:
            if "locked" in obj["Key"]:
                errors.append(
                    {
                        "Key": obj["Key"],
                        "VersionId": obj.get("VersionId"),
                        "Code": "AccessDenied",
                        "Message": "Access Denied",
                    }
                )
            else:
                self.objects.pop((params["Bucket"], obj["Key"]), None)
                deleted.append(
                    {"Key": obj["Key"], "VersionId": obj.get("VersionId"), "DeleteMarker": "VersionId" not in obj}
                )
        quiet = params["Delete"].get("Quiet", False)
        return {"Deleted": [] if quiet else deleted, "Errors": errors}

    def put_bucket_tagging(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Keeps the tag set for get_bucket_tagging."""
        self.tags[params["Bucket"]] = params["Tagging"]["TagSet"]
        return {}

    def get_bucket_tagging(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """The tag set last put (NoSuchTagSet when none)."""
        tags = self.tags.get(params["Bucket"])
        if tags is None:
            raise ServiceError(
                "NoSuchTagSet", "The TagSet does not exist", 404, fields={"BucketName": params["Bucket"]}
            )
        return {"TagSet": tags}

    def put_bucket_acl(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Keeps the AccessControlPolicy body (grantee xsi:type attributes included)."""
        self.acls[params["Bucket"]] = params["AccessControlPolicy"]
        return {}

    def get_bucket_acl(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """The policy last put, or an owner-only default."""
        owner = {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "DisplayName": "stub"}
        default = {
            "Owner": owner,
            "Grants": [{"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
        }
        return self.acls.get(params["Bucket"], default)


# --- Lambda (rest-json) ----------------------------------------------------------------------------


class LambdaStub(Provider):
    """CreateFunction stores a configuration built from its input; Invoke echoes the payload."""

    service = "lambda"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.functions: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        self.functions.clear()

    def _function(self, name: str) -> dict[str, Any]:
        found = self.functions.get(name.rsplit(":", 1)[-1] if name.startswith("arn:") else name)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {name}", 404, fields={"Type": "User"})
        return found

    def create_function(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Configuration: CodeSize/CodeSha256 of the zip, the environment, layers and the rest echoed."""
        name = params["FunctionName"]
        if name in self.functions:
            raise ServiceError(
                "ResourceConflictException", f"Function already exist: {name}", 409, fields={"Type": "User"}
            )
        code = params["Code"].get("ZipFile", b"")
        config = {
            "FunctionName": name,
            "FunctionArn": f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}",
            "Runtime": params.get("Runtime"),
            "Role": params["Role"],
            "Handler": params.get("Handler"),
            "CodeSize": len(code),
            "CodeSha256": base64.b64encode(hashlib.sha256(code).digest()).decode("ascii"),
            "Description": params.get("Description", ""),
            "Timeout": params.get("Timeout", 3),
            "MemorySize": params.get("MemorySize", 128),
            "LastModified": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
            "Version": "1" if params.get("Publish") else "$LATEST",
            "Environment": {"Variables": params.get("Environment", {}).get("Variables", {})},
            "Layers": [{"Arn": arn, "CodeSize": len(arn)} for arn in params.get("Layers", [])],
            "Architectures": params.get("Architectures", ["x86_64"]),
            "PackageType": params.get("PackageType", "Zip"),
            "State": "Active",
            "EphemeralStorage": {"Size": params.get("EphemeralStorage", {}).get("Size", 512)},
        }
        self.functions[name] = {"Configuration": config, "Tags": params.get("Tags", {}), "Code": code}
        return config

    def get_function(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """The stored configuration, tags and a code location."""
        found = self._function(params["FunctionName"])
        name = found["Configuration"]["FunctionName"]
        return {
            "Configuration": found["Configuration"],
            "Code": {"RepositoryType": "S3", "Location": f"https://stub.invalid/{name}.zip?size={len(found['Code'])}"},
            "Tags": found["Tags"],
        }

    def invoke(self, ctx: RequestContext, params: Params) -> dict[str, Any]:
        """Payload echoed; ``"fail"`` in it sets FunctionError; LogType=Tail returns a base64 log."""
        found = self._function(params["FunctionName"])
        payload = params.get("Payload") or b""
        if params.get("InvocationType") == "Event":
            return {"StatusCode": 202}
        result: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": payload,
            "ExecutedVersion": params.get("Qualifier") or found["Configuration"]["Version"],
        }
        if b'"fail"' in payload:
            result["FunctionError"] = "Unhandled"
        if params.get("LogType") == "Tail":
            log = f"START {found['Configuration']['FunctionName']} bytes={len(payload)} crc={zlib.crc32(payload)}\n"
            context = params.get("ClientContext")
            if context:
                log += base64.b64decode(context).decode("utf-8") + "\n"
            result["LogResult"] = base64.b64encode(log.encode("utf-8")).decode("ascii")
        return result
