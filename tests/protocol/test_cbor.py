"""Smithy RPC v2 CBOR, round-tripped through a real botocore CloudWatch client.

CloudWatch's model lists ``smithy-rpc-v2-cbor`` first, but botocore 1.43 prefers ``json`` when a
service offers both, so the client is forced onto CBOR here (other SDKs pick CBOR).
"""

from __future__ import annotations

from datetime import UTC, datetime

import cbor2
import pytest
from botocore_roundtrip import Roundtrip, strip_metadata

from pycloud.protocol.cbor_rpc import CborProtocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest

PROTO = CborProtocol()
T_SEC = datetime(2024, 7, 8, 9, 10, 11, tzinfo=UTC)
T_MS = datetime(2024, 7, 8, 9, 10, 11, 500000, tzinfo=UTC)


@pytest.fixture(scope="module")
def cw() -> Roundtrip:
    rt = Roundtrip("cloudwatch", protocol="smithy-rpc-v2-cbor")
    assert rt.client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return rt


def _respond(rt: Roundtrip, operation: str, params: dict, result: dict) -> dict:
    parsed = rt.respond(operation, params, lambda req: PROTO.serialize(rt.model, operation, result, "rid-c"))
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-c"
    return strip_metadata(parsed)


PUT_PARAMS = {
    "Namespace": "App/Web",
    "MetricData": [
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Host", "Value": "h-1"}],
            "Timestamp": T_SEC,
            "Values": [1.5, -2.25, 1e300],
            "Counts": [1.0, 2.0, 3.0],
            "Unit": "Milliseconds",
            "StorageResolution": 1,
        },
        {
            "MetricName": "Errors",
            "Value": 0.0,
            "StatisticValues": {"SampleCount": 1.0, "Sum": 2.0, "Minimum": 0.5, "Maximum": 1.5},
        },
    ],
}


def test_put_metric_data_request(cw: Roundtrip) -> None:
    request = cw.capture("PutMetricData", PUT_PARAMS)
    assert request.path == "/service/GraniteServiceVersion20100801/operation/PutMetricData"
    assert request.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert PROTO.parse(cw.model, "PutMetricData", request) == PUT_PARAMS


def test_large_request_is_gzipped_and_still_parsed(cw: Roundtrip) -> None:
    params = {"Namespace": "N", "MetricData": [{"MetricName": f"m{i}", "Value": float(i)} for i in range(1000)]}
    request = cw.capture("PutMetricData", params)
    assert request.headers.get("content-encoding") == "gzip"
    assert PROTO.parse(cw.model, "PutMetricData", request) == params


def test_get_metric_data_roundtrip(cw: Roundtrip) -> None:
    params = {
        "MetricDataQueries": [
            {"Id": "q1", "Expression": "SEARCH('x', 'Average', 60)", "ReturnData": True, "Period": 60}
        ],
        "StartTime": T_SEC,
        "EndTime": T_SEC,
        "MaxDatapoints": 100,
        "LabelOptions": {"Timezone": "+0130"},
    }
    assert PROTO.parse(cw.model, "GetMetricData", cw.capture("GetMetricData", params)) == params
    result = {
        "MetricDataResults": [
            {"Id": "q1", "Label": "L", "Timestamps": [T_MS, T_SEC], "Values": [1.5, 2.0], "StatusCode": "Complete"}
        ],
        "NextToken": "n",
        "Messages": [{"Code": "c", "Value": "v"}],
    }
    assert _respond(cw, "GetMetricData", params, result) == result


def test_response_wire_format(cw: Roundtrip) -> None:
    response = PROTO.serialize(
        cw.model,
        "ListDashboards",
        {"DashboardEntries": [{"DashboardName": "d", "LastModified": T_SEC, "Size": 3}]},
        "r",
    )
    assert response.get_header("smithy-protocol") == "rpc-v2-cbor"
    assert response.get_header("Content-Type") == "application/cbor"
    # Tag 1 (0xc1) wrapping integral epoch seconds.
    assert b"\xc1" + cbor2.dumps(int(T_SEC.timestamp())) in response.body
    entry = cbor2.loads(response.body)["DashboardEntries"][0]
    assert entry == {"DashboardName": "d", "LastModified": T_SEC, "Size": 3}


def test_empty_output_is_a_map(cw: Roundtrip) -> None:
    assert cbor2.loads(PROTO.serialize(cw.model, "PutMetricData", {}, "r").body) == {}
    # botocore records no RequestId for operations without output; the call must still succeed.
    parsed = cw.respond("PutMetricData", PUT_PARAMS, lambda req: PROTO.serialize(cw.model, "PutMetricData", {}, "r"))
    assert strip_metadata(parsed) == {}


def test_blob_members(cw: Roundtrip) -> None:
    result = {"MetricWidgetImage": b"\x89PNG\x00"}
    assert _respond(cw, "GetMetricWidgetImage", {"MetricWidget": "{}"}, result) == result


def test_modeled_error_with_query_compatible_header(cw: Roundtrip) -> None:
    error = ServiceError("ResourceNotFound", "Dashboard d does not exist")
    response = PROTO.serialize_error(cw.model, "GetDashboard", error, "rid-e")
    assert response.status == 404
    assert response.get_header("x-amzn-query-error") == "ResourceNotFound;Sender"
    body = cbor2.loads(response.body)
    assert body["__type"].endswith("#ResourceNotFound") and body["message"] == error.message
    exc = cw.error("GetDashboard", {"DashboardName": "d"}, lambda req: response)
    assert exc.response["Error"]["Code"] == "ResourceNotFound"
    assert exc.response["Error"]["Message"] == error.message
    assert exc.response["ResponseMetadata"]["RequestId"] == "rid-e"
    assert type(exc).__name__ == "ResourceNotFound"


def test_unmodeled_error(cw: Roundtrip) -> None:
    error = ServiceError("ThrottlingException", "Rate exceeded", 400)
    exc = cw.error("ListMetrics", {}, lambda req: PROTO.serialize_error(cw.model, "ListMetrics", error, "r"))
    assert exc.response["Error"]["Code"] == "ThrottlingException"
    assert exc.response["Error"]["Message"] == "Rate exceeded"


def _raw(body: bytes) -> HttpRequest:
    return HttpRequest(
        "POST",
        "/service/GraniteServiceVersion20100801/operation/ListMetrics",
        headers={"smithy-protocol": "rpc-v2-cbor"},
        body=body,
    )


@pytest.mark.parametrize(
    "body",
    [
        cbor2.dumps({"Namespace": "N"})[:-1],  # truncated
        b"\xff\xff\xff",  # not CBOR
        cbor2.dumps([1, 2]),  # not a map
        cbor2.dumps({"Namespace": 5}),  # int for string
        cbor2.dumps({"Namespace": b"bytes"}),  # bytes for string
        cbor2.dumps({"Dimensions": {"Name": "x"}}),  # map for list
        cbor2.dumps({"Dimensions": ["x"]}),  # string for structure
        cbor2.dumps({"RecentlyActive": True}),  # boolean for enum string
        cbor2.dumps({"IncludeLinkedAccounts": "true"}),  # string for boolean
        cbor2.dumps({"Namespace": cbor2.CBORTag(99, "x")}),  # unknown tag
    ],
)
def test_malformed_bodies(cw: Roundtrip, body: bytes) -> None:
    with pytest.raises(ServiceError) as info:
        PROTO.parse(cw.model, "ListMetrics", _raw(body))
    assert info.value.code == "SerializationException"


def test_timestamp_forms(cw: Roundtrip) -> None:
    def parse(value: object) -> dict:
        body = cbor2.dumps({"AlarmName": "a", "HistoryItemType": "Action", "StartDate": value})
        return PROTO.parse(cw.model, "DescribeAlarmHistory", _raw(body))

    assert parse(cbor2.CBORTag(1, T_MS.timestamp()))["StartDate"] == T_MS
    assert parse(T_SEC.timestamp())["StartDate"] == T_SEC
    for bad in ("yesterday", [1], float("nan")):
        with pytest.raises(ServiceError) as info:
            parse(bad)
        assert info.value.code == "SerializationException"


def test_empty_body(cw: Roundtrip) -> None:
    assert PROTO.parse(cw.model, "ListMetrics", _raw(b"")) == {}
