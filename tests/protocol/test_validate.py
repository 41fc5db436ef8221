"""Server-side validation: messages and codes per protocol family, and end to end through botocore."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore_roundtrip import Roundtrip

from pycloud.protocol import get_protocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import load_service_model
from pycloud.protocol.validate import validate_params


def _error(service: str, operation: str, params: dict, protocol: str | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        validate_params(load_service_model(service), operation, params, protocol)
    return info.value


def _ok(service: str, operation: str, params: dict, protocol: str | None = None) -> None:
    validate_params(load_service_model(service), operation, params, protocol)


def test_json_missing_required_members_are_counted_and_joined() -> None:
    error = _error("dynamodb", "GetItem", {})
    assert error.code == "ValidationException" and error.status == 400
    assert error.message == (
        "2 validation errors detected: "
        "Value null at 'tableName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'key' failed to satisfy constraint: Member must not be null"
    )


def test_json_enum_in_list_path_and_range() -> None:
    params = {
        "TableName": "tbl",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "FOO"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    error = _error("dynamodb", "CreateTable", params)
    assert error.message == (
        "1 validation error detected: Value 'FOO' at 'keySchema.2.member.keyType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [HASH, RANGE]"
    )
    error = _error("dynamodb", "Query", {"TableName": "tbl", "Limit": 0})
    assert error.message == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_json_list_and_string_lengths() -> None:
    error = _error("dynamodb", "CreateTable", {"TableName": "t" * 2000, "AttributeDefinitions": [], "KeySchema": []})
    assert error.message.startswith("2 validation errors detected: ")
    assert (
        "at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 1024"
        in error.message
    )
    assert (
        "Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in error.message
    )


def test_nested_structure_inside_union() -> None:
    params = {
        "integrationName": "i",
        "integrationType": "OPENSEARCH",
        "resourceConfig": {"openSearchResourceConfig": {"dashboardViewerPrincipals": ["p"], "retentionDays": 0}},
    }
    error = _error("logs", "PutIntegration", params)
    assert "Value null at 'resourceConfig.openSearchResourceConfig.dataSourceRoleArn'" in error.message
    assert "at 'resourceConfig.openSearchResourceConfig.retentionDays' failed" in error.message
    assert error.message.startswith("2 validation errors detected")


def test_sensitive_values_are_not_echoed() -> None:
    error = _error("secretsmanager", "PutSecretValue", {"SecretId": "s", "SecretString": "x" * 70000})
    assert "xxx" not in error.message
    assert (
        "Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536"
        in error.message
    )


def test_wrong_python_type_in_json_family_is_serialization_error() -> None:
    assert _error("dynamodb", "Query", {"TableName": "t", "Limit": "10"}).code == "SerializationException"


def test_valid_params_pass() -> None:
    _ok("dynamodb", "PutItem", {"TableName": "users", "Item": {"pk": {"S": "1"}, "n": {"L": [{"N": "1"}]}}})
    _ok(
        "sts",
        "AssumeRole",
        {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1", "DurationSeconds": 900},
    )
    _ok("ec2", "DescribeInstances", {"Filters": [{"Name": "x", "Values": ["y"]}]})


def test_query_family_uses_validation_error_and_patterns() -> None:
    error = _error("iam", "CreateRole", {"RoleName": "bad name!", "AssumeRolePolicyDocument": "{}"})
    assert error.code == "ValidationError"
    assert error.message == (
        "1 validation error detected: Value 'bad name!' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
    error = _error(
        "sts", "AssumeRole", {"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s", "DurationSeconds": 60}
    )
    assert error.code == "ValidationError"
    assert "roleSessionName" in error.message and "durationSeconds" in error.message


def test_enums_are_not_enforced_where_aws_does_not() -> None:
    _ok("iam", "ListPolicies", {"Scope": "Bogus"})  # query
    _ok("sqs", "ReceiveMessage", {"QueueUrl": "q", "MessageSystemAttributeNames": ["Bogus"]})  # query-compatible
    _ok("ec2", "DescribeInstances", {"Filters": [{"Name": "x", "Values": ["y"]}], "MaxResults": 10})


def test_request_protocol_overrides_the_family() -> None:
    cbor = _error("cloudwatch", "PutMetricData", {"MetricData": []})
    query = _error("cloudwatch", "PutMetricData", {"MetricData": []}, protocol="query")
    assert cbor.code == "ValidationException" and query.code == "ValidationError"
    assert cbor.message == query.message


def test_ec2_missing_and_invalid_parameters() -> None:
    error = _error("ec2", "RunInstances", {"ImageId": "ami-1", "MinCount": 1})
    assert (error.code, error.message) == ("MissingParameter", "The request must contain the parameter MaxCount")
    error = _error("ec2", "DescribeVpcs", {"MaxResults": 2})
    assert error.code == "InvalidParameterValue" and "maxResults" in error.message


def test_rest_xml_is_not_validated_generically() -> None:
    _ok("s3", "PutObject", {})
    _ok("s3", "ListObjectsV2", {"Bucket": "b", "MaxKeys": -5})


def test_timestamp_and_blob_checks() -> None:
    _ok(
        "cloudwatch",
        "GetMetricData",
        {"MetricDataQueries": [], "StartTime": datetime.now(UTC), "EndTime": datetime.now(UTC)},
    )
    assert _error("cloudwatch", "GetMetricData", {"MetricDataQueries": [], "StartTime": "x", "EndTime": "y"}).code == (
        "SerializationException"
    )
    error = _error("kms", "Encrypt", {"KeyId": "k", "Plaintext": b""})
    assert (
        "at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in error.message
    )


@pytest.mark.parametrize(
    ("service", "protocol", "operation", "params", "code"),
    [
        ("dynamodb", None, "Query", {"TableName": "t", "Limit": 0}, "ValidationException"),
        ("iam", None, "GetRole", {"RoleName": "a b"}, "ValidationError"),
        ("ec2", None, "RunInstances", {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1}, None),
        # CloudWatch is query-compatible: newer botocore reads the x-amzn-query-error header's code.
        ("cloudwatch", "smithy-rpc-v2-cbor", "ListMetrics", {"Namespace": "n" * 300}, ("ValidationException", "ValidationError")),
    ],
)
def test_end_to_end_through_botocore(
    service: str, protocol: str | None, operation: str, params: dict, code: str | None
) -> None:
    rt = Roundtrip(service, protocol=protocol, client_validation=False)
    wire = protocol or rt.model.protocol
    proto = get_protocol(wire)

    def server(request):
        try:
            parsed = proto.parse(rt.model, operation, request)
            validate_params(rt.model, operation, parsed, wire)
        except ServiceError as error:
            return proto.serialize_error(rt.model, operation, error, "rid-v")
        return proto.serialize(rt.model, operation, {}, "rid-v")

    if code is None:
        rt.respond(operation, params, server)
        return
    exc = rt.error(operation, params, server)
    assert exc.response["Error"]["Code"] in ((code,) if isinstance(code, str) else code)
    assert exc.response["Error"]["Message"].startswith("1 validation error detected: Value ")
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
