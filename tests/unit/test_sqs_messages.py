"""SQS message rules and digests (pure functions, no server).

The digest vectors are published ones: AWS's API reference example body ("This is a test message")
and the AWS SDK for Java v2's MessageMD5ChecksumInterceptor test vector, which covers string,
binary and the reserved list transport types.
"""

from __future__ import annotations

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.services.sqs import messages


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value.code


# -- digests --------------------------------------------------------------------------------------


def test_md5_of_body_matches_published_vectors():
    assert messages.md5_of_body("This is a test message") == "fafb00f5732ab283681e124bf8747ed1"
    assert messages.md5_of_body("Body") == "ac101b32dda4448cf13a93fe283dddd8"
    assert messages.md5_of_body(b"test") == "098f6bcd4621d373cade4e832627b4f6"


def test_md5_of_attributes_matches_the_java_sdk_vector():
    attributes = {
        "String": {"DataType": "String", "StringValue": "Value"},
        "Binary": {"DataType": "Binary", "BinaryValue": bytes([5])},
        "StringList": {"DataType": "String", "StringListValues": ["ListValue"]},
        "ByteList": {"DataType": "Binary", "BinaryListValues": [bytes([3])]},
    }
    assert messages.md5_of_attributes(attributes) == "4b6959cf7735fdade89bc099b85b3234"


def test_md5_of_attributes_sorts_names_and_encodes_lengths():
    # Insertion order must not matter; a different value, type or name must change the digest.
    a = {"b": {"DataType": "Number", "StringValue": "1"}, "a": {"DataType": "String", "StringValue": "x"}}
    b = {"a": {"DataType": "String", "StringValue": "x"}, "b": {"DataType": "Number", "StringValue": "1"}}
    assert messages.md5_of_attributes(a) == messages.md5_of_attributes(b)
    changed = {"a": {"DataType": "String", "StringValue": "y"}, "b": {"DataType": "Number", "StringValue": "1"}}
    assert messages.md5_of_attributes(changed) != messages.md5_of_attributes(a)
    typed = {"a": {"DataType": "String.custom", "StringValue": "x"}, "b": {"DataType": "Number", "StringValue": "1"}}
    assert messages.md5_of_attributes(typed) != messages.md5_of_attributes(a)
    assert messages.md5_of_attributes({}) is None


def test_md5_of_attributes_single_string_by_hand():
    import hashlib
    import struct

    def field(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    expected = hashlib.md5(field(b"k") + field(b"String") + b"\x01" + field("vé".encode())).hexdigest()
    assert messages.md5_of_attributes({"k": {"DataType": "String", "StringValue": "vé"}}) == expected


# -- body -----------------------------------------------------------------------------------------


def test_body_characters():
    assert messages.check_body("tab\tnew\nline\r ok \ud7ff \ue000 \U0001f600") == (
        "tab\tnew\nline\r ok \ud7ff \ue000 \U0001f600".encode()
    )
    with pytest.raises(ServiceError) as info:
        messages.check_body("bad \x01 char")
    assert info.value.code == "InvalidMessageContents"
    assert "#x1" in info.value.message
    assert _code(messages.check_body, "\ufffe") == "InvalidMessageContents"
    assert _code(messages.check_body, "lone \ud800 surrogate") == "InvalidMessageContents"
    assert _code(messages.check_body, "") == "MissingParameter"


def test_size_counts_body_and_attributes():
    attributes = {"name": {"DataType": "String", "StringValue": "vv"}}
    assert messages.check_size(b"x" * 10, attributes, 1024) == 10 + 4 + 6 + 2
    with pytest.raises(ServiceError) as info:
        messages.check_size(b"x" * 1020, attributes, 1024)
    assert info.value.code == "InvalidParameterValue"
    assert "shorter than 1024 bytes" in info.value.message


# -- attributes -----------------------------------------------------------------------------------


def test_valid_attributes_are_normalized():
    checked = messages.check_attributes({
        "s": {"DataType": "String", "StringValue": "v", "StringListValues": [], "BinaryListValues": []},
        "n": {"DataType": "Number.int", "StringValue": "-1.5e3"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        "dotted.name-1_x": {"DataType": "String.custom label", "StringValue": "w"},
    })
    assert checked["s"] == {"DataType": "String", "StringValue": "v"}
    assert checked["b"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    assert set(checked) == {"s", "n", "b", "dotted.name-1_x"}


@pytest.mark.parametrize(
    "attributes",
    [
        {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
        {"AWS.reserved": {"DataType": "String", "StringValue": "v"}},
        {"amazon.x": {"DataType": "String", "StringValue": "v"}},
        {".lead": {"DataType": "String", "StringValue": "v"}},
        {"trail.": {"DataType": "String", "StringValue": "v"}},
        {"two..dots": {"DataType": "String", "StringValue": "v"}},
        {"sp ace": {"DataType": "String", "StringValue": "v"}},
        {"a" * 257: {"DataType": "String", "StringValue": "v"}},
        {"t": {"DataType": "Strung", "StringValue": "v"}},
        {"t": {"DataType": "", "StringValue": "v"}},
        {"t": {"DataType": "String", "StringValue": ""}},
        {"t": {"DataType": "String", "BinaryValue": b"x"}},
        {"t": {"DataType": "Binary", "StringValue": "x"}},
        {"t": {"DataType": "Number", "StringValue": "abc"}},
        {"t": {"DataType": "Number", "StringValue": "1e200"}},
        {"t": {"DataType": "Number", "StringValue": "1" * 39}},
        {"t": {"DataType": "Number", "StringValue": "NaN"}},
        {"t": {"DataType": "String", "StringValue": "bad\x00"}},
        {"t": {"DataType": "String", "StringListValues": ["a"]}},
    ],
)
def test_invalid_attributes(attributes):
    assert _code(messages.check_attributes, attributes) == "InvalidParameterValue"


def test_system_attributes_take_only_a_trace_header_string():
    header = {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}
    assert messages.check_system_attributes({"AWSTraceHeader": header}) == {"AWSTraceHeader": header}
    assert _code(messages.check_system_attributes, {"Other": header}) == "InvalidParameterValue"
    assert _code(messages.check_system_attributes,
                 {"AWSTraceHeader": {"DataType": "Binary", "BinaryValue": b"x"}}) == "InvalidParameterValue"


def test_extras_round_trip():
    attributes = {"s": {"DataType": "String", "StringValue": "é"}, "b": {"DataType": "Binary", "BinaryValue": b"\xff"}}
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-x"}}
    extras = messages.decode_extras(messages.encode_extras(attributes, system, "AIDAEXAMPLE"))
    assert extras.attributes == attributes
    assert extras.trace_header == "Root=1-x"
    assert extras.sender_id == "AIDAEXAMPLE"
    assert messages.decode_extras(b"") == messages.Extras()


# -- what ReceiveMessage returns ------------------------------------------------------------------


def test_select_attributes_by_name_prefix_and_all():
    attributes = {name: {"DataType": "String", "StringValue": name} for name in ("bar.a", "bar.b", "baz", "x")}
    assert messages.select_attributes(attributes, None) == {}
    assert set(messages.select_attributes(attributes, ["All"])) == set(attributes)
    assert set(messages.select_attributes(attributes, [".*"])) == set(attributes)
    assert set(messages.select_attributes(attributes, ["bar.*"])) == {"bar.a", "bar.b"}
    assert set(messages.select_attributes(attributes, ["baz", "missing"])) == {"baz"}


def test_requested_system_attributes():
    assert messages.requested_system_attributes(None, None) == frozenset()
    assert messages.requested_system_attributes(["All"], None) == frozenset(messages.SYSTEM_ATTRIBUTE_NAMES)
    assert messages.requested_system_attributes(["SentTimestamp"], ["MessageGroupId"]) == {
        "SentTimestamp", "MessageGroupId",
    }
    # Queue attribute names in the legacy AttributeNames list are accepted and ignored.
    assert messages.requested_system_attributes(["VisibilityTimeout"], None) == frozenset()
    assert _code(messages.requested_system_attributes, ["Nope"], None) == "InvalidAttributeName"
