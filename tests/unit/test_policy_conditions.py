"""Condition operators, IfExists, set operators, missing keys and policy variables in values."""

import base64
from datetime import UTC, datetime

import pytest

from pycloud.iam.policy import Principal, parse_policy
from pycloud.iam.policy.request import AuthRequest, ContextView

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
USER = Principal.from_arn("arn:aws:iam::111122223333:user/bob", user_id="AIDAEXAMPLE", tags={"Team": "blue"})


def holds(condition, context=None, principal=USER, version="2012-10-17"):
    document = {
        "Version": version,
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}],
    }
    statement = parse_policy(document).statements[0]
    return statement.conditions_hold(
        ContextView(AuthRequest(principal, "s3:GetObject", context=context or {}, now=NOW))
    )


def one(operator, key, values, context):
    return holds({operator: {key: values}}, context)


# --- one row per operator: (operator, policy values, context value, expected) ----------------

CASES = [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", "a*", "abc", False),  # no wildcards in Equals
    ("StringEquals", ["x", "abc"], "abc", True),  # values OR
    ("StringNotEquals", "abc", "abd", True),
    ("StringNotEquals", ["x", "abc"], "abc", False),
    ("StringEqualsIgnoreCase", "ABC", "abc", True),
    ("StringEqualsIgnoreCase", "ABC", "abd", False),
    ("StringNotEqualsIgnoreCase", "ABC", "abc", False),
    ("StringNotEqualsIgnoreCase", "ABC", "xyz", True),
    ("StringLike", "home/*", "home/bob/x", True),
    ("StringLike", "home/?", "home/ab", False),
    ("StringLike", "Home/*", "home/x", False),  # case-sensitive
    ("StringNotLike", ["a*", "b*"], "cat", True),
    ("StringNotLike", ["a*", "b*"], "bat", False),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", "10", 11, False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", 10, False),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "10.5", False),
    ("NumericGreaterThan", "10", "10.5", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "10", "-3", False),
    ("NumericEquals", "10", "ten", False),
    ("NumericEquals", "ten", "10", False),
    ("DateEquals", "2024-06-01T12:00:00Z", NOW, True),
    ("DateEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:01Z", False),
    ("DateNotEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:01Z", True),
    ("DateNotEquals", "2024-06-01T14:00:00+02:00", "2024-06-01T12:00:00Z", False),  # same instant
    ("DateLessThan", "2024-06-02", "2024-06-01T23:59:59Z", True),
    ("DateLessThan", "2024-06-01", "2024-06-01T00:00:00Z", False),
    ("DateLessThanEquals", "2024-06-01T00:00:00Z", "2024-06-01", True),
    ("DateLessThanEquals", "2024-06-01T00:00:00Z", "2024-06-02", False),
    ("DateGreaterThan", "1717243200", "2024-06-01T12:00:01Z", True),  # epoch seconds
    ("DateGreaterThan", "1717243200", 1717243200, False),
    ("DateGreaterThanEquals", "2024-06-01T12:00:00Z", 1717243200, True),
    ("DateGreaterThanEquals", "2024-06-01T12:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateEquals", "not a date", NOW, False),
    ("Bool", "true", True, True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "true", False, False),
    ("Bool", "false", "false", True),
    ("BinaryEquals", base64.b64encode(b"\x00\x01").decode(), b"\x00\x01", True),
    ("BinaryEquals", base64.b64encode(b"\x00\x01").decode(), b"\x00\x02", False),
    ("BinaryEquals", "QUJD", "QUJD", True),
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # a bare address is a /32
    ("IpAddress", "2001:db8::/32", "2001:db8:1234::1", True),
    ("IpAddress", "2001:db8::/32", "203.0.113.7", False),  # family mismatch
    ("IpAddress", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::5", True),
    ("IpAddress", "203.0.113.0/24", "not-an-ip", False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    ("ArnEquals", "arn:aws:sns:us-east-1:111122223333:topic", "arn:aws:sns:us-east-1:111122223333:topic", True),
    ("ArnEquals", "arn:aws:sns:us-east-1:111122223333:topic", "arn:aws:sns:us-east-1:111122223333:Topic", False),
    ("ArnLike", "arn:aws:sns:*:111122223333:*", "arn:aws:sns:eu-west-1:111122223333:t", True),
    ("ArnLike", "arn:aws:sns:*:111122223333:*", "arn:aws:sns:eu-west-1:444455556666:t", False),
    ("ArnLike", "arn:aws:sns:*:111122223333:*", "not-an-arn", False),
    ("ArnNotEquals", "arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b", True),
    ("ArnNotEquals", "arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/a", False),
    ("ArnNotLike", "arn:aws:iam::*:role/admin*", "arn:aws:iam::111122223333:role/dev", True),
    ("ArnNotLike", "arn:aws:iam::*:role/admin*", "arn:aws:iam::111122223333:role/admin-x", False),
]


@pytest.mark.parametrize(("operator", "values", "value", "expected"), CASES)
def test_operator(operator, values, value, expected):
    assert one(operator, "test:key", values, {"test:key": value}) is expected


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
           "NotIpAddress", "ArnNotEquals", "ArnNotLike"}  # fmt: skip


@pytest.mark.parametrize("operator", sorted({row[0] for row in CASES}))
def test_missing_key_is_false_except_for_negated_operators(operator):
    values = next(row[1] for row in CASES if row[0] == operator)
    assert one(operator, "test:absent", values, {}) is (operator in NEGATED)
    # ...IfExists: a missing key satisfies the condition whatever the operator
    assert one(operator + "IfExists", "test:absent", values, {}) is True


def test_if_exists_still_checks_a_present_key():
    assert one("StringEqualsIfExists", "ec2:InstanceType", ["t2.micro"], {"ec2:InstanceType": "t2.micro"})
    assert not one("StringEqualsIfExists", "ec2:InstanceType", ["t2.micro"], {"ec2:InstanceType": "m5.large"})
    assert not one("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "10.1.1.1"})


def test_numeric_json_values():
    assert one("NumericLessThanEquals", "s3:max-keys", 10, {"s3:max-keys": "7"})
    assert one("Bool", "aws:SecureTransport", False, {"aws:SecureTransport": False})


# --- Null -----------------------------------------------------------------------------------


def test_null():
    assert one("Null", "aws:TokenIssueTime", "true", {})
    assert not one("Null", "aws:TokenIssueTime", "true", {"aws:TokenIssueTime": NOW})
    assert one("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": NOW})
    assert not one("Null", "aws:TokenIssueTime", "false", {})
    assert one("Null", "aws:TagKeys", "true", {"aws:TagKeys": []})  # an empty set is null
    assert one("Null", "aws:TokenIssueTime", ["true", "false"], {})
    assert not one("Null", "aws:TokenIssueTime", "maybe", {})


# --- keys, blocks, case -------------------------------------------------------------------------


def test_condition_keys_are_case_insensitive():
    assert one("StringEquals", "AWS:SOURCEVPC", "vpc-1", {"aws:sourcevpc": "vpc-1"})
    assert one("StringEquals", "aws:PrincipalTag/team", "blue", {})  # tag keys fold too


def test_keys_and_operators_are_anded():
    condition = {"StringEquals": {"a:x": "1", "a:y": "2"}, "Bool": {"aws:SecureTransport": "true"}}
    assert holds(condition, {"a:x": "1", "a:y": "2", "aws:SecureTransport": True})
    assert not holds(condition, {"a:x": "1", "a:y": "3", "aws:SecureTransport": True})
    assert not holds(condition, {"a:x": "1", "a:y": "2", "aws:SecureTransport": False})


def test_operator_names_case():
    assert holds({"stringequals": {"a:x": "1"}}, {"a:x": "1"})


# --- set operators ----------------------------------------------------------------------------


def test_for_all_values():
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert holds(condition, {"aws:TagKeys": ["env"]})
    assert holds(condition, {"aws:TagKeys": ["env", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["env", "cost"]})
    # missing or empty: vacuously true (the documented ForAllValues pitfall)
    assert holds(condition, {})
    assert holds(condition, {"aws:TagKeys": []})


def test_for_any_value():
    condition = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert holds(condition, {"aws:TagKeys": ["cost", "team"]})
    assert not holds(condition, {"aws:TagKeys": ["cost"]})
    assert not holds(condition, {})
    assert not holds(condition, {"aws:TagKeys": []})
    assert holds({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}, {})


def test_set_operators_with_negated_base():
    # ForAllValues:StringNotEquals: no requested tag key is in the list
    deny_list = {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}
    assert holds(deny_list, {"aws:TagKeys": ["env", "team"]})
    assert not holds(deny_list, {"aws:TagKeys": ["env", "secret"]})
    # ForAnyValue:StringNotEquals: at least one value outside the list
    some_other = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env", "team"]}}
    assert holds(some_other, {"aws:TagKeys": ["env", "cost"]})
    assert not holds(some_other, {"aws:TagKeys": ["env", "team"]})


def test_for_all_values_like():
    condition = {"ForAllValues:StringLike": {"aws:TagKeys": "Created*"}}
    assert holds(condition, {"aws:TagKeys": ["CreatedBy", "CreatedAt"]})
    assert not holds(condition, {"aws:TagKeys": ["CreatedBy", "Owner"]})


def test_multivalued_key_without_set_operator():
    assert one("StringEquals", "a:k", "x", {"a:k": ["y", "x"]})
    assert not one("StringNotEquals", "a:k", "x", {"a:k": ["y", "x"]})
    assert one("StringNotEquals", "a:k", "x", {"a:k": ["y", "z"]})


# --- principal- and clock-derived keys ------------------------------------------------------------


def test_principal_keys():
    assert one("StringEquals", "aws:username", "bob", {})
    assert one("StringEquals", "aws:userid", "AIDAEXAMPLE", {})
    assert one("StringEquals", "aws:PrincipalAccount", "111122223333", {})
    assert one("StringEquals", "aws:PrincipalType", "User", {})
    assert one("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/bob", {})
    assert one("Bool", "aws:PrincipalIsAWSService", "false", {})


def test_assumed_role_keys():
    session = Principal.from_arn("arn:aws:sts::111122223333:assumed-role/Dev/alice", user_id="AROAEXAMPLE:alice")
    condition = {
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Dev"},
        "StringEquals": {"aws:PrincipalType": "AssumedRole"},
    }
    assert holds(condition, principal=session)
    assert holds({"Null": {"aws:username": "true"}}, principal=session)


def test_current_and_epoch_time():
    assert one("DateLessThan", "aws:CurrentTime", "2024-06-01T12:00:01Z", {})
    assert not one("DateGreaterThan", "aws:CurrentTime", "2024-06-01T12:00:00Z", {})
    assert one("NumericEquals", "aws:EpochTime", "1717243200", {})
    assert one("DateEquals", "aws:EpochTime", "2024-06-01T12:00:00Z", {})


# --- variables in condition values ---------------------------------------------------------------


def test_variables_in_condition_values():
    assert one("StringLike", "s3:prefix", ["home/${aws:username}/*"], {"s3:prefix": "home/bob/docs"})
    assert not one("StringLike", "s3:prefix", ["home/${aws:username}/*"], {"s3:prefix": "home/alice/docs"})
    assert one("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}", {"aws:ResourceTag/team": "blue"})
    assert one("StringEquals", "a:k", "${a:missing, 'fallback'}", {"a:k": "fallback"})
    assert one("StringEquals", "a:k", "${*}", {"a:k": "*"})
    assert not one("StringLike", "a:k", "x${*}", {"a:k": "xyz"})


def test_unresolvable_variable_matches_nothing():
    assert not one("StringEquals", "a:k", "${aws:PrincipalTag/absent}", {"a:k": "${aws:PrincipalTag/absent}"})
    assert one("StringNotEquals", "a:k", "${aws:PrincipalTag/absent}", {"a:k": "x"})


def test_variables_are_text_in_2008_documents():
    assert holds({"StringEquals": {"a:k": "${aws:username}"}}, {"a:k": "${aws:username}"}, version="2008-10-17")
    assert not holds({"StringEquals": {"a:k": "${aws:username}"}}, {"a:k": "bob"}, version="2008-10-17")


def test_numeric_values_do_not_take_variables():
    assert not one("NumericEquals", "a:k", "${a:n}", {"a:k": "5", "a:n": "5"})
