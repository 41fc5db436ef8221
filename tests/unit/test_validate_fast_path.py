"""The compiled fast check of input validation agrees with the generic walk on real models.

For every operation input of several services, seeded random params (valid ones built from the
shapes, and ones with wrong types, bad lengths, out-of-range numbers, missing members, bad enums,
at any depth) must pass the fast check exactly when ``_Checker`` finds no problem, in each
protocol flavour; and ``validate_params`` must raise exactly then.
"""

from __future__ import annotations

import gc
import io
import math
import random
from typing import Any

import pytest
from shape_values import ShapeValues

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel, load_service_model
from pycloud.protocol.validate import (
    _Checker,
    _model_checks,
    compile_check,
    enforces_enums,
    validate_params,
)

SERVICES = [
    "sqs", "sns", "dynamodb", "s3", "ec2", "iam", "sts", "logs", "kinesis", "cloudwatch",
    "lambda", "kms", "secretsmanager", "events", "ssm",
]  # fmt: skip
FLAVOURS = ["json", "query", "ec2", "rest-json"]
VALID_PER_OPERATION = 2
INVALID_PER_OPERATION = 6


def _generic_clean(model: ServiceModel, shape: dict[str, Any], params: Any, check_enums: bool, ec2: bool) -> bool:
    """Whether the generic walk finds nothing (a walk that raises counts as a problem)."""
    checker = _Checker(model, check_enums=check_enums, ec2=ec2)
    try:
        checker.structure(shape, params, "")
    except Exception:  # noqa: BLE001 - the fast check must then not pass either
        return False
    return not (checker.problems or checker.missing or checker.type_errors)


def _fast_clean(model: ServiceModel, input_name: str, params: Any, check_enums: bool) -> bool:
    try:
        return compile_check(model, input_name, check_enums)(params)
    except Exception:  # noqa: BLE001 - validate_params treats a raising fast check as "not clean"
        return False


def _raises(model: ServiceModel, operation: str, params: Any, protocol: str) -> bool:
    try:
        validate_params(model, operation, params, protocol)
    except ServiceError:
        return True
    return False


@pytest.mark.parametrize("service", SERVICES)
def test_fast_check_agrees_with_generic_walk(service: str) -> None:
    model = load_service_model(service)
    rng = random.Random(f"fast-path:{service}")
    flavours = {}
    for protocol in FLAVOURS:  # flavours sharing their flags are the same check: run them once
        flavours.setdefault((enforces_enums(model, protocol), protocol == "ec2"), protocol)
    counts = {True: 0, False: 0}
    for operation in sorted(model.operations):
        ref = model.operations[operation].get("input")
        if ref is None:
            continue
        shape = model.shapes[ref["shape"]]
        samples = [ShapeValues(model, rng, 0.0).value(ref["shape"]) for _ in range(VALID_PER_OPERATION)]
        samples += [ShapeValues(model, rng, 0.15).value(ref["shape"]) for _ in range(INVALID_PER_OPERATION)]
        for params in samples:
            for (check_enums, ec2), protocol in flavours.items():
                clean = _generic_clean(model, shape, params, check_enums, ec2)
                assert _fast_clean(model, ref["shape"], params, check_enums) is clean, (operation, protocol, params)
                if clean:
                    assert not _raises(model, operation, params, protocol), (operation, protocol, params)
                counts[clean] += 1
    # Both verdicts must be well represented, or the comparison proves little.
    assert counts[True] > 50 and counts[False] > 50, counts


@pytest.mark.parametrize("protocol", FLAVOURS)
def test_validate_params_raises_exactly_when_the_walk_finds_a_problem(protocol: str) -> None:
    model = load_service_model("dynamodb")
    rng = random.Random(f"raises:{protocol}")
    check_enums = enforces_enums(model, protocol)
    seen = set()
    for operation in sorted(model.operations):
        ref = model.operations[operation]["input"]
        shape = model.shapes[ref["shape"]]
        for breakage in (0.0, 0.1, 0.3):
            params = ShapeValues(model, rng, breakage).value(ref["shape"])
            clean = _generic_clean(model, shape, params, check_enums, protocol == "ec2")
            assert _raises(model, operation, params, protocol) is not clean, (operation, params)
            seen.add(clean)
    assert seen == {True, False}


def test_edge_values_follow_the_generic_walk() -> None:
    sqs = load_service_model("sqs")
    url = "http://localhost:4566/000000000000/q"
    attribute = {"DataType": "Binary", "BinaryValue": "\ud800"}  # lone surrogate: cannot be encoded
    with pytest.raises(UnicodeEncodeError):  # as the generic walk has always done
        validate_params(
            sqs, "SendMessage", {"QueueUrl": url, "MessageBody": "x", "MessageAttributes": {"a": attribute}}
        )
    ddb = load_service_model("dynamodb")
    validate_params(ddb, "Query", {"TableName": "tbl", "Limit": math.nan})  # NaN passes range checks today
    validate_params(ddb, "Query", {"TableName": "tbl", "Limit": None, "Unknown": object()})
    with pytest.raises(ServiceError) as info:
        validate_params(ddb, "Query", {"TableName": "tbl", "Limit": True})
    assert info.value.code == "SerializationException"
    validate_params(load_service_model("lambda"), "Invoke", {"FunctionName": "f", "Payload": io.BytesIO(b"{}")})
    validate_params(load_service_model("s3"), "PutObject", {})  # rest-xml: nothing checked here


def test_recursive_shapes_compile_and_check_at_any_depth() -> None:
    model = ServiceModel(
        "recursive",
        {
            "metadata": {"protocol": "json"},
            "operations": {"Put": {"input": {"shape": "Node"}}},
            "shapes": {
                "Node": {
                    "type": "structure",
                    "required": ["Name"],
                    "members": {"Name": {"shape": "Name"}, "Children": {"shape": "Nodes"}, "Self": {"shape": "Node"}},
                },
                "Nodes": {"type": "list", "member": {"shape": "Node"}, "max": 3},
                "Name": {"type": "string", "min": 1},
            },
        },
    )
    deep: dict[str, Any] = {"Name": "leaf"}
    for level in range(50):
        deep = {"Name": f"n{level}", "Children": [deep], "Self": {"Name": "s"}}
    validate_params(model, "Put", deep)
    deep["Children"][0]["Self"] = {"Name": ""}
    with pytest.raises(ServiceError) as info:
        validate_params(model, "Put", deep)
    assert info.value.message == (
        "1 validation error detected: Value '' at 'children.1.member.self.name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
    model_id = id(model)
    assert model_id in _model_checks
    del model, deep, info
    gc.collect()
    assert model_id not in _model_checks  # compiled checks go with their model
