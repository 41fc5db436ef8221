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
from datetime import UTC, datetime
from typing import Any

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel, load_service_model
from pycloud.protocol.validate import (
    _Checker,
    _compiled,
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

# Strings tried, in order, against a shape's pattern before falling back to random text.
_PATTERN_CANDIDATES = [
    "a", "abc", "Abc1", "x1", "1", "12", "123456789012", "us-east-1", "a-b_c.d", "a/b", "/a/",
    "arn:aws:iam::123456789012:role/r", "arn:aws:sqs:us-east-1:123456789012:q",
    "12345678-1234-1234-1234-123456789012", "sg-12345678", "i-1234567890abcdef0", "vpc-1234abcd",
    "2020-01-01T00:00:00Z", "a@b.c", "*", "true", "ABC",
]  # fmt: skip
_WRONG_TYPES: list[Any] = [42, "text", True, [1], {"k": "v"}, 2.5, b"raw", datetime(2020, 1, 1, tzinfo=UTC), (1,)]


class _Generator:
    """Seeded params built from a model's shapes, each node broken with probability ``breakage``."""

    def __init__(self, model: ServiceModel, rng: random.Random, breakage: float) -> None:
        self.model = model
        self.rng = rng
        self.breakage = breakage

    def value(self, name: str, depth: int = 0) -> Any:
        shape = self.model.shapes[name]
        if self.breakage and self.rng.random() < self.breakage:
            return self.broken(shape, name, depth)
        kind = shape["type"]
        maker = getattr(self, "_" + kind, None)
        return maker(shape, depth) if maker else None

    def _bounds(self, shape: dict[str, Any], low: int, high: int) -> tuple[int, int]:
        lo = int(shape["min"]) if "min" in shape else low
        hi = int(shape["max"]) if "max" in shape else lo + high
        return lo, max(lo, min(hi, lo + high))

    def _structure(self, shape: dict[str, Any], depth: int) -> Any:
        if shape.get("document"):
            return {"free": ["form", 1, None]}
        members = shape.get("members", {})
        required = set(shape.get("required", ()))
        result: dict[str, Any] = {}
        if depth > 12:
            return result
        for member, ref in members.items():
            if member in required or (depth < 5 and self.rng.random() < 0.5):
                result[member] = self.value(ref["shape"], depth + 1)
            elif self.rng.random() < 0.05:
                result[member] = None  # explicit nulls are skipped
        if self.rng.random() < 0.1:
            result["NotAModeledMember"] = object()  # unknown members are ignored
        return result

    def _list(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 3 if depth < 5 else 0)
        items = [self.value(shape["member"]["shape"], depth + 1) for _ in range(self.rng.randint(lo, hi))]
        if items and self.rng.random() < 0.05:
            items[0] = None  # null items are skipped
        return items

    def _map(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 3 if depth < 5 else 0)
        result: dict[Any, Any] = {}
        for _ in range(self.rng.randint(lo, hi) * 3):
            if len(result) >= hi:
                break
            key = self.value(shape["key"]["shape"], depth + 1)
            if not isinstance(key, (str, int, float, bytes, tuple, datetime)) and key is not None:
                key = self.rng.choice([42, None, 2.5, True])  # a broken key that can still be a key
            result[key] = self.value(shape["value"]["shape"], depth + 1)
        return result

    def _string(self, shape: dict[str, Any], depth: int) -> Any:
        if shape.get("enum"):
            return self.rng.choice(shape["enum"])
        lo, hi = self._bounds(shape, 0, 12)
        pattern = _compiled(shape["pattern"]) if shape.get("pattern") else None
        if pattern is not None:
            for candidate in _PATTERN_CANDIDATES:
                if lo <= len(candidate) <= hi and pattern.fullmatch(candidate):
                    return candidate
        return "".join(self.rng.choice("abcXYZ019-_") for _ in range(self.rng.randint(lo, hi)))

    _character = _string

    def _number(self, shape: dict[str, Any], integral: bool) -> Any:
        lo = shape.get("min", -5 if self.rng.random() < 0.2 else 0)
        hi = shape.get("max", lo + 100)
        if integral:
            return self.rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(min(hi, lo + 10**6))))
        return self.rng.uniform(lo, min(hi, lo + 1000))

    def _integer(self, shape: dict[str, Any], depth: int) -> Any:
        return self._number(shape, True)

    _long = _short = _byte = _integer

    def _float(self, shape: dict[str, Any], depth: int) -> Any:
        return self._number(shape, False) if self.rng.random() < 0.8 else self._number(shape, True)

    _double = _float

    def _boolean(self, shape: dict[str, Any], depth: int) -> Any:
        return self.rng.random() < 0.5

    def _blob(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 16)
        data = bytes(self.rng.randrange(128) for _ in range(self.rng.randint(lo, hi)))
        choice = self.rng.random()
        if choice < 0.2:
            return data.decode("ascii")  # text bodies count in UTF-8 bytes
        if choice < 0.3:
            return "\u00e9" * (len(data) // 2 + len(data) % 2)  # two bytes a character
        if choice < 0.4:
            return io.BytesIO(data)  # streams are not measured here
        return data

    def _timestamp(self, shape: dict[str, Any], depth: int) -> Any:
        return datetime(2024, 5, 1, tzinfo=UTC)

    def broken(self, shape: dict[str, Any], name: str, depth: int) -> Any:
        """A value for ``shape`` with one problem (or, by chance, none)."""
        rng = self.rng
        kind = shape["type"]
        breakers = [lambda: rng.choice(_WRONG_TYPES)]
        if "min" in shape and kind in ("string", "blob", "list", "map"):
            breakers.append(lambda: self._sized(shape, kind, int(shape["min"]) - 1, depth))
        if "max" in shape and kind in ("string", "blob", "list", "map"):
            breakers.append(lambda: self._sized(shape, kind, int(shape["max"]) + 1, depth))
        if kind in ("integer", "long", "short", "byte", "float", "double"):
            if "min" in shape:
                breakers.append(lambda: shape["min"] - rng.choice([1, 0.5]))
            if "max" in shape:
                breakers.append(lambda: shape["max"] + rng.choice([1, 0.5]))
            breakers.append(lambda: rng.choice([math.nan, math.inf, -math.inf, 10**30, False]))
        if kind == "string":
            if shape.get("enum"):
                breakers.append(lambda: "NOT_A_MEMBER_OF_THE_ENUM")
            if shape.get("pattern"):
                breakers.append(lambda: " !bad\nvalue? ")
        if kind == "structure" and shape.get("required"):
            breakers.append(lambda: self._without_required(shape, name, depth))
        if kind == "map":
            breakers.append(lambda: {7: self.value(shape["value"]["shape"], depth + 1)})
        return rng.choice(breakers)()

    def _sized(self, shape: dict[str, Any], kind: str, size: int, depth: int) -> Any:
        size = max(size, 0)
        if size > 5000:
            return self.rng.choice(_WRONG_TYPES)
        if kind == "string":
            return "s" * size
        if kind == "blob":
            return b"b" * size
        if kind == "list":
            return [self.value(shape["member"]["shape"], depth + 1) for _ in range(size)]
        return {f"k{i}": self.value(shape["value"]["shape"], depth + 1) for i in range(size)}

    def _without_required(self, shape: dict[str, Any], name: str, depth: int) -> Any:
        saved, self.breakage = self.breakage, 0.0
        try:
            value = self._structure(shape, depth)
        finally:
            self.breakage = saved
        victim = self.rng.choice(shape["required"])
        if self.rng.random() < 0.5:
            value.pop(victim, None)
        else:
            value[victim] = None
        return value


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
        samples = [_Generator(model, rng, 0.0).value(ref["shape"]) for _ in range(VALID_PER_OPERATION)]
        samples += [_Generator(model, rng, 0.15).value(ref["shape"]) for _ in range(INVALID_PER_OPERATION)]
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
            params = _Generator(model, rng, breakage).value(ref["shape"])
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
