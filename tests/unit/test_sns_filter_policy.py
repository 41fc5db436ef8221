"""SNS subscription filter policies: the matching language and its validation errors."""

from __future__ import annotations

import json

import pytest

from pycloud.protocol.errors import ServiceError
from pycloud.services.sns.filter_policy import compile_policy


def _s(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


def _n(value: str) -> dict:
    return {"DataType": "Number", "StringValue": value}


def _arr(values: list) -> dict:
    return {"DataType": "String.Array", "StringValue": json.dumps(values)}


def attrs_match(policy: dict, attributes: dict) -> bool:
    return compile_policy(json.dumps(policy)).matches("message", attributes)


def body_match(policy: dict, body: object) -> bool:
    text = body if isinstance(body, str) else json.dumps(body)
    return compile_policy(json.dumps(policy), "MessageBody").matches(text, {})


def error_message(policy: object, scope: str = "MessageAttributes") -> str:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    with pytest.raises(ServiceError) as info:
        compile_policy(text, scope)
    assert info.value.code == "InvalidParameter"
    assert info.value.status == 400
    return info.value.message


# -- matching on message attributes -----------------------------------------------------------------


def test_exact_string_is_case_sensitive_and_any_value_of_the_array():
    policy = {"color": ["red", "blue"]}
    assert attrs_match(policy, {"color": _s("red")})
    assert attrs_match(policy, {"color": _s("blue")})
    assert not attrs_match(policy, {"color": _s("Red")})
    assert not attrs_match(policy, {})


def test_every_key_must_match():
    policy = {"color": ["red"], "size": ["L"]}
    assert attrs_match(policy, {"color": _s("red"), "size": _s("L")})
    assert not attrs_match(policy, {"color": _s("red"), "size": _s("M")})
    assert not attrs_match(policy, {"color": _s("red")})


def test_exact_number_compares_numerically_against_number_attributes():
    policy = {"price": [100]}
    assert attrs_match(policy, {"price": _n("100")})
    assert attrs_match(policy, {"price": _n("100.000001")})  # five decimal digits of precision
    assert not attrs_match(policy, {"price": _n("100.1")})
    assert not attrs_match(policy, {"price": _s("hundred")})


def test_string_does_not_match_a_number_attribute_and_vice_versa():
    assert not attrs_match({"n": ["5"]}, {"n": _n("5")})
    assert not attrs_match({"n": [5]}, {"n": _s("5")})


def test_prefix_suffix_and_equals_ignore_case():
    assert attrs_match({"k": [{"prefix": "ab"}]}, {"k": _s("abc")})
    assert not attrs_match({"k": [{"prefix": "ab"}]}, {"k": _s("cab")})
    assert attrs_match({"k": [{"suffix": ".png"}]}, {"k": _s("x.png")})
    assert not attrs_match({"k": [{"suffix": ".png"}]}, {"k": _s("x.jpg")})
    assert attrs_match({"k": [{"equals-ignore-case": "HeLLo"}]}, {"k": _s("hello")})
    assert not attrs_match({"k": [{"equals-ignore-case": "hello"}]}, {"k": _s("hello!")})


def test_anything_but_values_and_prefix():
    assert attrs_match({"k": [{"anything-but": ["a", "b"]}]}, {"k": _s("c")})
    assert not attrs_match({"k": [{"anything-but": ["a", "b"]}]}, {"k": _s("a")})
    assert attrs_match({"k": [{"anything-but": "a"}]}, {"k": _s("b")})
    assert not attrs_match({"k": [{"anything-but": 5}]}, {"k": _n("5")})
    assert attrs_match({"k": [{"anything-but": 5}]}, {"k": _n("6")})
    assert attrs_match({"k": [{"anything-but": {"prefix": "tmp-"}}]}, {"k": _s("prod-1")})
    assert not attrs_match({"k": [{"anything-but": {"prefix": "tmp-"}}]}, {"k": _s("tmp-1")})
    assert not attrs_match({"k": [{"anything-but": ["a"]}]}, {})  # the key must be present


def test_numeric_ranges():
    policy = {"p": [{"numeric": [">", 0, "<=", 150]}]}
    assert attrs_match(policy, {"p": _n("150")})
    assert attrs_match(policy, {"p": _n("0.5")})
    assert not attrs_match(policy, {"p": _n("0")})
    assert not attrs_match(policy, {"p": _n("150.5")})
    assert attrs_match({"p": [{"numeric": ["=", 3.5]}]}, {"p": _n("3.5")})
    assert attrs_match({"p": [{"numeric": [">=", -10]}]}, {"p": _n("-10")})
    assert not attrs_match({"p": [{"numeric": ["<", 1]}]}, {"p": _s("0")})


def test_exists():
    assert attrs_match({"k": [{"exists": True}]}, {"k": _s("x")})
    assert not attrs_match({"k": [{"exists": True}]}, {})
    assert attrs_match({"k": [{"exists": False}]}, {"other": _s("x")})
    assert not attrs_match({"k": [{"exists": False}]}, {"k": _s("x")})


def test_binary_attributes_are_invisible_to_filters():
    binary = {"DataType": "Binary", "BinaryValue": b"\x00"}
    assert not attrs_match({"k": [{"exists": True}]}, {"k": binary})
    assert attrs_match({"k": [{"exists": False}]}, {"k": binary})


def test_cidr():
    policy = {"ip": [{"cidr": "10.0.0.0/24"}]}
    assert attrs_match(policy, {"ip": _s("10.0.0.255")})
    assert not attrs_match(policy, {"ip": _s("10.0.1.1")})
    assert not attrs_match(policy, {"ip": _s("not-an-ip")})
    assert attrs_match({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": _s("2001:db8::1")})


def test_string_array_attribute_matches_any_element():
    policy = {"tags": ["b"]}
    assert attrs_match(policy, {"tags": _arr(["a", "b"])})
    assert not attrs_match(policy, {"tags": _arr(["a", "c"])})
    assert attrs_match({"tags": [{"numeric": [">", 10]}]}, {"tags": _arr([1, 20])})
    assert attrs_match({"tags": [True]}, {"tags": _arr([False, True])})


def test_or_at_top_level():
    policy = {"source": ["aws.cloudwatch"], "$or": [{"metric": ["cpu"]}, {"namespace": ["AWS/EC2"]}]}
    assert attrs_match(policy, {"source": _s("aws.cloudwatch"), "metric": _s("cpu")})
    assert attrs_match(policy, {"source": _s("aws.cloudwatch"), "namespace": _s("AWS/EC2")})
    assert not attrs_match(policy, {"source": _s("aws.cloudwatch"), "metric": _s("disk")})
    assert not attrs_match(policy, {"source": _s("other"), "metric": _s("cpu")})


# -- matching on the message body -----------------------------------------------------------------


def test_body_nested_keys():
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">", 100]}]}}
    assert body_match(policy, {"order": {"status": "paid", "total": 120}})
    assert not body_match(policy, {"order": {"status": "paid", "total": 80}})
    assert not body_match(policy, {"order": {"status": "open", "total": 120}})
    assert not body_match(policy, {"status": "paid", "total": 120})


def test_body_arrays_are_flattened():
    policy = {"items": {"sku": ["B"]}}
    assert body_match(policy, {"items": [{"sku": "A"}, {"sku": "B"}]})
    assert not body_match(policy, {"items": [{"sku": "A"}]})
    assert body_match({"colors": ["red"]}, {"colors": ["blue", "red"]})


def test_body_json_types_null_and_booleans():
    assert body_match({"flag": [True]}, {"flag": True})
    assert not body_match({"flag": [True]}, {"flag": 1})
    assert body_match({"v": [None]}, {"v": None})
    assert not body_match({"v": [None]}, {})
    assert body_match({"v": [{"exists": False}]}, {"w": 1})


def test_body_or_nested():
    policy = {"a": {"$or": [{"b": ["x"]}, {"c": ["y"]}]}}
    assert body_match(policy, {"a": {"c": "y"}})
    assert not body_match(policy, {"a": {"c": "z"}})


def test_body_that_is_not_a_json_object_never_matches():
    assert not body_match({"a": [{"exists": False}]}, "plain text")
    assert not body_match({"a": [{"exists": False}]}, [1, 2])


def test_attributes_policy_ignores_the_body_and_body_policy_ignores_attributes():
    text = json.dumps({"k": "v"})
    assert not compile_policy('{"k": ["v"]}').matches(text, {})
    assert not compile_policy('{"k": ["v"]}', "MessageBody").matches("{}", {"k": _s("v")})


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, expected",
    [
        ("not json", "Invalid parameter: FilterPolicy: failed to parse JSON."),
        ([1, 2], "Invalid parameter: FilterPolicy: Filter policy must be a JSON object"),
        ({"k": "v"}, 'Invalid parameter: FilterPolicy: "k" must be an object or an array'),
        ({"k": []}, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"),
        ({"k": [[1]]}, "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null"),
        ({"k": [{"prefixx": "a"}]}, "Invalid parameter: FilterPolicy: Unrecognized match type prefixx"),
        ({"k": [{"prefix": 1}]}, "Invalid parameter: FilterPolicy: prefix match pattern must be a string"),
        ({"k": [{"suffix": None}]}, "Invalid parameter: FilterPolicy: suffix match pattern must be a string"),
        ({"k": [{"equals-ignore-case": 3}]}, "Invalid parameter: FilterPolicy: equals-ignore-case match pattern must be a string"),
        ({"k": [{"exists": "yes"}]}, "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."),
        ({"k": [{"prefix": "a", "suffix": "b"}]}, "Invalid parameter: FilterPolicy: Only one key allowed in match expression"),
        ({"k": [{"numeric": [">", "a"]}]}, "Invalid parameter: FilterPolicy: Value of > must be numeric"),
        ({"k": [{"numeric": ["!", 1]}]}, "Invalid parameter: FilterPolicy: Unrecognized numeric range operator: !"),
        ({"k": [{"numeric": [">", 1, "<", 2, "<", 3]}]}, "Invalid parameter: FilterPolicy: Too many elements in numeric expression"),
        ({"k": [{"numeric": [">", 5, "<", 1]}]}, "Invalid parameter: FilterPolicy: Bottom must be less than top"),
        ({"k": [{"numeric": ["<", 5, ">", 1]}]}, "Invalid parameter: FilterPolicy: Bad numeric range operator: >"),
        ({"k": [{"numeric": [">", 2e9]}]}, "Invalid parameter: FilterPolicy: Value of > must be between -1.0E9 and 1.0E9 inclusive"),
        ({"k": [{"numeric": ">"}]}, "Invalid parameter: FilterPolicy: Value of numeric must be an array."),
        ({"k": [{"anything-but": {"wildcard": "a*"}}]}, "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: wildcard"),
        ({"k": [{"anything-but": [[1]]}]}, "Invalid parameter: FilterPolicy: Value of anything-but must be an array or single string/number value."),
        ({"k": [{"cidr": "10.0.0.1"}]}, "Invalid parameter: FilterPolicy: Malformed CIDR, one '/' required"),
        ({"k": [{"cidr": "10.0.0.300/24"}]}, "Invalid parameter: FilterPolicy: Nonstandard IP address: 10.0.0.300"),
        ({"$or": [{"a": ["x"]}]}, "Invalid parameter: FilterPolicy: $or must be an array of at least 2 objects"),
    ],
)
def test_validation_errors(policy, expected):
    assert error_message(policy).startswith(expected)


def test_at_most_five_keys():
    ok = {f"k{i}": ["v"] for i in range(5)}
    compile_policy(json.dumps(ok))
    six = {f"k{i}": ["v"] for i in range(6)}
    assert error_message(six) == "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
    nested = {"a": {"b": ["1"], "c": ["1"], "d": ["1"]}, "e": {"f": ["1"], "g": ["1"], "h": ["1"]}}
    assert "more than 5 keys" in error_message(nested, "MessageBody")


def test_combinations_at_most_150():
    ok = {"a": list(range(10)), "b": list(range(15))}  # 150
    compile_policy(json.dumps(ok))
    too_many = {"a": list(range(10)), "b": list(range(16))}  # 160
    assert error_message(too_many) == "Invalid parameter: FilterPolicy: Filter policy is too complex"
    ors = {"$or": [{"a": list(range(100))}, {"b": list(range(51))}]}  # branches add: 151
    assert error_message(ors) == "Invalid parameter: FilterPolicy: Filter policy is too complex"


def test_nested_policy_refused_in_attribute_scope_only():
    nested = {"a": {"b": ["x"]}}
    assert error_message(nested) == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    )
    compile_policy(json.dumps(nested), "MessageBody")


def test_policy_size_limit():
    big = json.dumps({"k": ["x" * (256 * 1024)]})
    assert error_message(big) == "Invalid parameter: FilterPolicy: Filter policy is too long"
