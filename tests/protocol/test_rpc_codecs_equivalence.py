"""The compiled per-shape codecs of ``rpc_tree`` agree with the generic tree walkers on real models.

For every operation input and output of several services, in JSON and in CBOR, seeded random wire
trees (valid ones as a client sends them, and ones broken at any depth) must decode to the same
params or raise the same error through ``decoder`` as through ``TreeDecoder.structure``; and seeded
provider results (loose Python values included) must encode to the same tree through ``encoder`` as
through ``TreeEncoder.structure``. The codecs only look at shapes, so lambda (rest-json) is in the
list for its ``locationName`` members; a small synthetic model covers the traits these services
lack (sparse collections, documents, ``timestampFormat``, small integer types).
"""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum, IntEnum
from typing import Any

import cbor2
import pytest
from shape_values import ShapeValues

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel, load_service_model
from pycloud.protocol.rpc_tree import TreeDecoder, TreeEncoder, decoder, encoder

SERVICES = ["sqs", "dynamodb", "kinesis", "logs", "lambda", "kms", "secretsmanager", "events", "ssm", "cloudwatch"]
VALID_PER_SHAPE = 2
BROKEN_PER_SHAPE = 4
BREAKAGE = 0.12


class _Label(str, Enum):  # noqa: UP042 - a StrEnum would str() to its value and hide the case
    """A provider's string enum: ``str()`` gives ``_Label.ACTIVE``, the value itself is ``ACTIVE``."""

    ACTIVE = "ACTIVE"


class _Level(IntEnum):
    HIGH = 3


class _Text(str):
    """A str subclass whose ``str()`` is not itself."""

    def __str__(self) -> str:
        return "rendered"


# -- value generators -----------------------------------------------------------------------------

_EPOCH = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)
_BAD_BASE64 = ["not base64!", "abc", "QUJD=", "====", "QU JD", "\u00e9t\u00e9"]
_BAD_TIMESTAMPS: list[Any] = [
    "not a time", "2024-13-45T00:00:00Z", "Tue, 99 Foo 2024 00:00:00 GMT", "", "1e5", 1e300, -1e20,
    math.nan, math.inf, True, 10**30,
]  # fmt: skip


class _WireValues(ShapeValues):
    """Trees as ``json.loads`` / ``cbor2.loads`` hand them to a decoder, broken with wire-level faults."""

    def __init__(self, model: ServiceModel, rng: random.Random, breakage: float, cbor: bool) -> None:
        super().__init__(model, rng, breakage)
        self.cbor = cbor

    def member_key(self, member: str, ref: dict[str, Any]) -> str:
        return ref.get("locationName", member)

    def unknown_member(self) -> Any:
        return self.rng.choice([1, "x", {"a": [1, None]}, None, [None]])

    def _list(self, shape: dict[str, Any], depth: int) -> Any:
        items = super()._list(shape, depth)
        if items and self.rng.random() < 0.15:
            items.insert(self.rng.randrange(len(items) + 1), None)  # null items: dropped unless sparse
        return items

    def _map(self, shape: dict[str, Any], depth: int) -> Any:
        result = super()._map(shape, depth)
        if self.rng.random() < 0.15:
            result["null-entry"] = None  # null values: dropped unless sparse
        return result

    def _integer(self, shape: dict[str, Any], depth: int) -> Any:
        number = super()._integer(shape, depth)
        return float(number) if self.rng.random() < 0.2 else number  # 5.0 is a valid integer

    _long = _short = _byte = _integer

    def _float(self, shape: dict[str, Any], depth: int) -> Any:
        if not self.cbor and self.rng.random() < 0.1:
            return self.rng.choice(["NaN", "Infinity", "-Infinity"])
        return super()._float(shape, depth)

    _double = _float

    def _blob(self, shape: dict[str, Any], depth: int) -> Any:
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 12)))
        return data if self.cbor else base64.b64encode(data).decode("ascii")

    def _timestamp(self, shape: dict[str, Any], depth: int) -> Any:
        moment = _EPOCH + timedelta(seconds=self.rng.randint(-(10**6), 10**6), milliseconds=self.rng.randint(0, 999))
        choices: list[Any] = [int(moment.timestamp()), moment.timestamp()]
        if self.cbor:
            choices.append(moment)  # tag 1 decodes to a datetime
        else:
            choices += [
                str(int(moment.timestamp())),
                moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                moment.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            ]
        return self.rng.choice(choices)

    def breakers(self, shape: dict[str, Any], name: str, depth: int) -> list[Callable[[], Any]]:
        rng = self.rng
        kind = shape["type"]
        wrong: list[Any] = [{"k": "v"}, [1, None], "text", True, False, 2.5, 0]
        if self.cbor:
            wrong += [b"raw", cbor2.CBORTag(99, "x"), cbor2.undefined, _EPOCH]
        breakers: list[Callable[[], Any]] = [lambda: rng.choice(wrong)]
        if kind in ("integer", "long", "short", "byte"):
            edges = [2**7, -(2**7) - 1, 2**15, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, 1e30, -1e19]
            breakers += [
                lambda: rng.choice([1.5, -0.25, math.nan, math.inf, -math.inf]),
                lambda: rng.choice(edges),
                lambda: rng.choice(["12", "NaN", "1e3"]),
            ]
        elif kind in ("float", "double"):
            breakers.append(lambda: rng.choice(["1.5", "nan", "Infinity", "+Infinity", True, math.nan, 10**400]))
        elif kind == "boolean":
            breakers.append(lambda: rng.choice(["true", 1, 0, None]))
        elif kind == "blob":
            breakers.append(lambda: rng.choice(["QUJD", bytearray(b"x")] if self.cbor else [*_BAD_BASE64, b"raw"]))
        elif kind == "timestamp":
            breakers.append(lambda: rng.choice(_BAD_TIMESTAMPS))
        elif kind in ("string", "character"):
            breakers.append(lambda: rng.choice([12, 1.0, b"bytes", None]))
        elif kind == "list":
            breakers.append(lambda: [None, *self._list(shape, depth), None])
        elif kind == "map":
            breakers += [
                lambda: {**self._map(shape, depth), "gone": None},
                lambda: {7: self.value(shape["value"]["shape"], depth + 1)},  # CBOR allows any key
            ]
        elif kind == "structure" and shape.get("members"):
            breakers.append(lambda: self._by_member_name(shape, depth))
        return breakers

    def _by_member_name(self, shape: dict[str, Any], depth: int) -> Any:
        """A structure keyed by member names (not wire names) plus unknown members."""
        result = {member: self.value(ref["shape"], depth + 1) for member, ref in shape["members"].items()}
        result["Unknown"] = {"deep": [1, {"x": None}]}
        return result


class _ProviderValues(ShapeValues):
    """Provider results: mostly the expected types, often loose ones the encoder converts."""

    def _string(self, shape: dict[str, Any], depth: int) -> Any:
        if self.rng.random() < 0.2:
            return self.rng.choice([7, 2.5, True, _Label.ACTIVE, _Text("raw"), _Level.HIGH, b"raw"])
        return super()._string(shape, depth)

    _character = _string

    def _integer(self, shape: dict[str, Any], depth: int) -> Any:
        if self.rng.random() < 0.2:
            return self.rng.choice([True, 3.9, "12", _Level.HIGH, 2**70])
        return super()._integer(shape, depth)

    _long = _short = _byte = _integer

    def _float(self, shape: dict[str, Any], depth: int) -> Any:
        if self.rng.random() < 0.2:
            return self.rng.choice([3, "1.5", True, math.inf, "nan"])
        return super()._float(shape, depth)

    _double = _float

    def _boolean(self, shape: dict[str, Any], depth: int) -> Any:
        return self.rng.choice([True, False, 0, 1, "", "no"])

    def _blob(self, shape: dict[str, Any], depth: int) -> Any:
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 12)))
        return self.rng.choice([data, bytearray(data), memoryview(data), data.hex()])

    def _timestamp(self, shape: dict[str, Any], depth: int) -> Any:
        moment = _EPOCH + timedelta(seconds=self.rng.randint(-(10**6), 10**6), microseconds=self.rng.randint(0, 10**6))
        return self.rng.choice([
            moment,
            moment.replace(tzinfo=None),
            moment.astimezone(timezone(timedelta(hours=-7))),
            moment.replace(microsecond=0),
            int(moment.timestamp()),
            moment.timestamp(),
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ])  # fmt: skip

    def _map(self, shape: dict[str, Any], depth: int) -> Any:
        result = super()._map(shape, depth)
        if self.rng.random() < 0.2:
            result[self.rng.choice([5, 2.5, True])] = self.value(shape["value"]["shape"], depth + 1)  # str()'d keys
        if self.rng.random() < 0.15:
            result["null-entry"] = None
        return result

    def _list(self, shape: dict[str, Any], depth: int) -> Any:
        items = super()._list(shape, depth)
        if self.rng.random() < 0.15:
            items.append(None)  # kept as null
        return items

    def breakers(self, shape: dict[str, Any], name: str, depth: int) -> list[Callable[[], Any]]:
        rng = self.rng
        kind = shape["type"]
        wrong: list[Any] = [[1, 2], "text", 42, {"k": "v"}, None, object(), 2.5, b"raw", _EPOCH]
        breakers: list[Callable[[], Any]] = [lambda: rng.choice(wrong)]
        if kind in ("integer", "long", "short", "byte", "float", "double"):
            breakers.append(lambda: rng.choice(["abc", "", math.nan, [1], "1e400"]))
        elif kind == "timestamp":
            breakers.append(lambda: rng.choice(["garbage", 1e300, math.nan, "2024-02-30T00:00:00Z"]))
        elif kind == "blob":
            breakers.append(lambda: rng.choice([12, "\ud800", object()]))
        return breakers


# -- comparison -----------------------------------------------------------------------------------


def _typed(value: Any) -> Any:
    """``value`` with every node's type spelled out, so that 1, 1.0 and True differ (NaN equals NaN)."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(item) for item in value])
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, cbor2.CBORTag):
        return ("tag", value.tag, _typed(value.value))
    if isinstance(value, (str, int, bytes, datetime)) or value is None:
        return (type(value).__name__, value)
    return (type(value).__name__, id(value))  # opaque objects must be passed through as themselves


def _outcome(codec: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    try:
        result = codec(value)
    except ServiceError as exc:
        return ("service-error", type(exc).__name__, exc.code, exc.message, exc.status)
    except Exception as exc:  # noqa: BLE001 - any other failure must be the same failure
        return ("error", type(exc).__name__, str(exc))
    return ("ok", _typed(result), result)


def _same(generic: tuple[Any, ...], compiled: tuple[Any, ...]) -> bool:
    return generic[:2] == compiled[:2] if generic[0] == "ok" else generic == compiled


def _wire(tree: Any, cbor: bool) -> bytes | str:
    """The bytes a serializer would put on the wire (or the error it would raise)."""
    try:
        if cbor:
            return cbor2.dumps(tree)
        return json.dumps(tree, separators=(",", ":"), default=str).encode()
    except (cbor2.CBOREncodeError, ValueError) as exc:  # a document holding what the format cannot carry
        return type(exc).__name__


def _shapes(model: ServiceModel) -> list[tuple[str, str]]:
    """(label, shape name) of every operation input and output."""
    found = []
    for operation in sorted(model.operations):
        for direction in ("input", "output"):
            ref = model.operations[operation].get(direction)
            if ref is not None:
                found.append((f"{operation}.{direction}", ref["shape"]))
    return found


class _Tally:
    """Counts outcomes so a run that compares only successes (or only errors) fails."""

    def __init__(self) -> None:
        self.ok = 0
        self.errors: set[tuple[Any, ...]] = set()

    def add(self, outcome: tuple[Any, ...]) -> None:
        if outcome[0] == "ok":
            self.ok += 1
        else:
            self.errors.add(outcome[1:4])


def _check_decoding(model: ServiceModel, name: str, tree: Any, cbor: bool, label: str, tally: _Tally) -> None:
    shape = model.shapes[name]
    generic = _outcome(lambda value: TreeDecoder(model, cbor).structure(shape, value), tree)
    compiled = _outcome(decoder(model, shape, cbor), tree)
    assert _same(generic, compiled), (label, "cbor" if cbor else "json", tree, generic, compiled)
    tally.add(generic)


def _check_encoding(model: ServiceModel, name: str, result: Any, cbor: bool, label: str, tally: _Tally) -> None:
    shape = model.shapes[name]
    generic = _outcome(lambda value: TreeEncoder(model, cbor).structure(shape, value), result)
    compiled = _outcome(encoder(model, shape, cbor), result)
    assert _same(generic, compiled), (label, "cbor" if cbor else "json", result, generic, compiled)
    if generic[0] == "ok":
        assert _wire(generic[2], cbor) == _wire(compiled[2], cbor), (label, result)
    tally.add(generic)


def _run(model: ServiceModel, shapes: list[tuple[str, str]], seed: str, repeat: int = 1) -> tuple[_Tally, _Tally]:
    rng = random.Random(seed)
    decoded, encoded = _Tally(), _Tally()
    for _ in range(repeat):
        for label, name in shapes:
            for cbor in (False, True):
                for breakage in [0.0] * VALID_PER_SHAPE + [BREAKAGE] * BROKEN_PER_SHAPE:
                    tree = _WireValues(model, rng, breakage, cbor).value(name)
                    _check_decoding(model, name, tree, cbor, label, decoded)
                    result = _ProviderValues(model, rng, breakage).value(name)
                    _check_encoding(model, name, result, cbor, label, encoded)
    return decoded, encoded


# -- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_compiled_codecs_agree_with_generic_walkers(service: str) -> None:
    model = load_service_model(service)
    decoded, encoded = _run(model, _shapes(model), f"rpc-codecs:{service}")
    # Both verdicts must be well represented, or the comparison proves little.
    assert decoded.ok > 100 and len(decoded.errors) > 10, (decoded.ok, decoded.errors)
    assert encoded.ok > 100 and len(encoded.errors) > 3, (encoded.ok, encoded.errors)


def _trait_model() -> ServiceModel:
    """Traits the real json/CBOR models above lack, each used by one member."""
    shapes: dict[str, Any] = {
        "Top": {
            "type": "structure",
            "required": ["Name"],
            "members": {
                "Name": {"shape": "Str", "locationName": "name"},
                "Char": {"shape": "Char"},
                "Tiny": {"shape": "Byte"},
                "Small": {"shape": "Short"},
                "Ratio": {"shape": "Float"},
                "Iso": {"shape": "Stamp", "timestampFormat": "iso8601"},
                "Http": {"shape": "Stamp", "timestampFormat": "rfc822"},
                "Epoch": {"shape": "EpochStamp"},
                "Plain": {"shape": "Stamp"},
                "Doc": {"shape": "Doc"},
                "Empty": {"shape": "Empty"},
                "Sparse": {"shape": "SparseList"},
                "SparseMap": {"shape": "SparseMap"},
                "Stamps": {"shape": "StampList"},
                "Tree": {"shape": "Node", "locationName": "tree"},
                "Nested": {"shape": "ListOfLists"},
                "Data": {"shape": "Blob", "locationName": "data"},
            },
        },
        "Node": {
            "type": "structure",
            "members": {"Label": {"shape": "Str"}, "Children": {"shape": "Nodes", "locationName": "kids"}},
        },
        "Nodes": {"type": "list", "member": {"shape": "Node"}},
        "ListOfLists": {"type": "list", "member": {"shape": "StampList"}},
        "StampList": {"type": "list", "member": {"shape": "Stamp", "timestampFormat": "iso8601"}},
        "SparseList": {"type": "list", "member": {"shape": "Int"}, "sparse": True},
        "SparseMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Node"}, "sparse": True},
        "Doc": {"type": "structure", "members": {}, "document": True},
        "Empty": {"type": "structure", "members": {}},
        "Str": {"type": "string"},
        "Char": {"type": "character"},
        "Byte": {"type": "byte"},
        "Short": {"type": "short"},
        "Int": {"type": "integer"},
        "Float": {"type": "float"},
        "Blob": {"type": "blob"},
        "Stamp": {"type": "timestamp"},
        "EpochStamp": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
    }
    operations = {"Call": {"input": {"shape": "Top"}, "output": {"shape": "Top"}}}
    return ServiceModel("traits", {"metadata": {"protocol": "json"}, "operations": operations, "shapes": shapes})


def test_traits_absent_from_the_real_models_agree() -> None:
    model = _trait_model()
    decoded, encoded = _run(model, _shapes(model), "rpc-codecs:traits", repeat=40)
    assert decoded.ok > 100 and len(decoded.errors) > 10, (decoded.ok, decoded.errors)
    assert encoded.ok > 100 and len(encoded.errors) > 3, (encoded.ok, encoded.errors)


@pytest.mark.parametrize("cbor", [False, True])
def test_loose_provider_values_encode_like_the_generic_walk(cbor: bool) -> None:
    model = _trait_model()
    top = model.shapes["Top"]
    # A str subclass is kept as it is (json/cbor write its value), never rendered through str().
    result = {"Name": _Label.ACTIVE, "Char": _Text("c"), "Nested": [[_EPOCH, None]], "Empty": "not a dict"}
    expected = TreeEncoder(model, cbor).structure(top, result)
    tree = encoder(model, top, cbor)(result)
    assert _typed(tree) == _typed(expected)
    assert tree["Empty"] == {}  # an empty structure reads no member, so any value encodes to {}
    assert tree["Name" if cbor else "name"] is _Label.ACTIVE
    assert tree["Char"] is result["Char"]


def _nested_attribute(depth: int, leaf: Any, cbor: bool) -> Any:
    """A DynamoDB AttributeValue ``depth`` levels deep, alternating maps and lists."""
    value = leaf
    for level in range(depth):
        if level % 2:
            value = {"L": [{"S": f"s{level}"}, value, {"N": str(level)}]}
        else:
            siblings = {"b": {"B": b"\x00\x01" if cbor else "AAE="}, "n": {"NULL": True}, "ss": {"SS": ["a", "b"]}}
            value = {"M": {**siblings, "next": value}}
    return value


@pytest.mark.parametrize("cbor", [False, True])
def test_recursive_attribute_value_decodes_and_encodes_alike_30_levels_deep(cbor: bool) -> None:
    model = load_service_model("dynamodb")
    shape = model.shapes["AttributeValue"]
    tree = _nested_attribute(30, {"BOOL": False, "Unknown": 1}, cbor)
    params = decoder(model, shape, cbor)(tree)
    assert _typed(params) == _typed(TreeDecoder(model, cbor).structure(shape, tree))
    node = params
    for level in reversed(range(30)):  # the outermost level was wrapped last
        if level % 2:
            assert node["L"][2] == {"N": str(level)}
            node = node["L"][1]
        else:
            assert node["M"]["b"]["B"] == b"\x00\x01"
            node = node["M"]["next"]
    assert node == {"BOOL": False}

    encoded = encoder(model, shape, cbor)(params)
    assert _typed(encoded) == _typed(TreeEncoder(model, cbor).structure(shape, params))
    assert _typed(encoded) == _typed(_nested_attribute(30, {"BOOL": False}, cbor))

    broken = _nested_attribute(30, {"N": 5}, cbor)
    generic = _outcome(lambda value: TreeDecoder(model, cbor).structure(shape, value), broken)
    assert generic[:4] == ("service-error", "ServiceError", "SerializationException",
                           "NUMBER_VALUE can not be converted to String")  # fmt: skip
    assert _outcome(decoder(model, shape, cbor), broken) == generic


def test_codecs_are_compiled_once_per_shape_and_flavour() -> None:
    model = load_service_model("dynamodb")
    shape = model.shapes["PutItemInput"]
    json_decoder = decoder(model, shape)
    assert decoder(model, shape) is json_decoder
    assert decoder(model, shape, cbor=False) is json_decoder
    assert decoder(model, shape, cbor=True) is decoder(model, shape, cbor=True) is not json_decoder
    assert encoder(model, shape) is encoder(model, shape) is not json_decoder
    assert encoder(model, shape, cbor=True) is encoder(model, shape, cbor=True) is not encoder(model, shape)
    # A recursive shape is compiled once too: the same codec serves every level.
    attribute = model.shapes["AttributeValue"]
    assert decoder(model, attribute) is decoder(model, attribute)
