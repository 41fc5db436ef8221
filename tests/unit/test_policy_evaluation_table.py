"""The policy engine against AWS's documented behaviour, one table row per rule.

Each case names the policies by type, the caller, the action, the resource and the request
context, and the outcome AWS documents (with, where it matters, the policy type that decided).
Case ids are ``<area>/<rule>``; the comment above each group names the IAM User Guide (or
Organizations User Guide) page the rules come from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pycloud.iam.policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, AuthRequest, Principal, evaluate

A = "111122223333"
B = "444455556666"
NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)

BOB = Principal.from_arn(f"arn:aws:iam::{A}:user/bob", user_id="AIDABOB", tags={"Team": "blue", "Project": "apollo"})
BOB_BOUNDED = Principal.from_arn(BOB.arn, user_id="AIDABOB", has_boundary=True)
ROLE = f"arn:aws:iam::{A}:role/Dev"
SESSION = Principal.from_arn(
    f"arn:aws:sts::{A}:assumed-role/Dev/alice", user_id="AROADEV:alice", tags={"project": "apollo"}
)
FED = Principal.from_arn(f"arn:aws:sts::{A}:federated-user/carol", user_id=f"{A}:carol", parent_arn=BOB.arn)
ROOT_A = Principal.root(A)
ROOT_B = Principal.root(B)
EVE = Principal.from_arn(f"arn:aws:iam::{B}:user/eve", user_id="AIDAEVE")
B_ROLE = f"arn:aws:iam::{B}:role/Reader"
B_SESSION = Principal.from_arn(f"arn:aws:sts::{B}:assumed-role/Reader/s1", user_id="AROAREADER:s1")
ANON = Principal.anonymous()
SNS = Principal.aws_service("sns.amazonaws.com")
SLR = Principal.from_arn(
    f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForECS/ecs",
    role_arn=f"arn:aws:iam::{A}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
)
WEB = Principal("federated", arn="accounts.google.com")

BUCKET = "arn:aws:s3:::bucket"
OBJECT = "arn:aws:s3:::bucket/key"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:q"
TOPIC = f"arn:aws:sns:us-east-1:{A}:t"

IDENTITY = "identity-based policy"
RESOURCE = "resource-based policy"
BOUNDARY = "permissions boundary"
SESSION_POLICY = "session policy"
SCP = "service control policy"
RCP = "resource control policy"
ROOT = "root user"


# --- document builders ---------------------------------------------------------------------------


def doc(*statements: dict, version: str | None = "2012-10-17") -> dict:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        out["Version"] = version
    return out


def allow(action: Any = "s3:*", resource: Any = "*", **extra: Any) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "s3:*", resource: Any = "*", **extra: Any) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def when(operator: str, key: str, value: Any, effect: str = "Allow", action: Any = "s3:*", resource: Any = "*") -> dict:
    """A one-statement policy whose only condition is ``operator: {key: value}``."""
    return doc({"Effect": effect, "Action": action, "Resource": resource, "Condition": {operator: {key: value}}})


def grant(who: Any, action: Any = "s3:GetObject", resource: Any = OBJECT, effect: str = "Allow", **extra: Any) -> dict:
    """A resource-based policy with one statement naming ``who`` (``"*"`` or a Principal map)."""
    principal = who if who == "*" or isinstance(who, dict) else {"AWS": who}
    return doc({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra})


def not_principal_deny(*arns: str, **kinds: Any) -> dict:
    element = {"AWS": list(arns), **kinds} if arns else kinds
    return doc({"Effect": "Deny", "NotPrincipal": element, "Action": "s3:*", "Resource": "*"})


ALL_S3 = doc(allow())
EVERYTHING = doc(allow("*"))


def case(case_id: str, expect: str, by: str | None = None, **request: Any) -> Any:
    """One table row: ``request`` holds principal/action/resource/owner/context and the policies."""
    return pytest.param(expect, by, request, id=case_id)


# --- Action and NotAction (IAM JSON policy elements: Action / NotAction) ---------------------------

ACTION_CASES = [
    case("action/exact", ALLOW, IDENTITY, identity=doc(allow("s3:GetObject"))),
    case("action/case-insensitive", ALLOW, identity=doc(allow("S3:getobject")), action="s3:GetObject"),
    case("action/request-case-insensitive", ALLOW, identity=doc(allow("s3:GetObject")), action="S3:GETOBJECT"),
    case("action/wildcard-prefix", ALLOW, identity=doc(allow("s3:Get*"))),
    case("action/wildcard-suffix", ALLOW, identity=doc(allow("s3:*Object")), action="s3:PutObject"),
    case("action/wildcard-upper-case", ALLOW, identity=doc(allow("S3:GET*"))),
    case("action/qmark-one-char", ALLOW, identity=doc(allow("s3:?etObject"))),
    case("action/qmark-exactly-one", IMPLICIT_DENY, identity=doc(allow("s3:GetObjec?")), action="s3:GetObjectAcl"),
    case("action/star-matches-all", ALLOW, identity=EVERYTHING, action="ec2:RunInstances", resource="*"),
    case("action/other-service", IMPLICIT_DENY, IDENTITY, identity=doc(allow("sqs:*"))),
    case("action/no-implicit-prefix", IMPLICIT_DENY, identity=doc(allow("s3:Get"))),
    case("action/list-any-of", ALLOW, identity=doc(allow(["sqs:SendMessage", "s3:GetObject"]))),
    case("action/not-action-allow-others", ALLOW, identity=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
    case(
        "action/not-action-allow-excludes-listed", IMPLICIT_DENY,
        identity=doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
    ),
    case(
        "action/not-action-deny-others", EXPLICIT_DENY, IDENTITY, action="s3:PutObject",
        identity=doc(allow(), {"Effect": "Deny", "NotAction": "s3:Get*", "Resource": "*"}),
    ),
    case(
        "action/not-action-deny-spares-listed", ALLOW,
        identity=doc(allow(), {"Effect": "Deny", "NotAction": "s3:Get*", "Resource": "*"}),
    ),
]  # fmt: skip

# --- Resource and NotResource (IAM JSON policy elements: Resource / NotResource; ARN wildcards) ---

RESOURCE_CASES = [
    case("resource/exact-arn", ALLOW, identity=doc(allow("s3:GetObject", OBJECT))),
    case("resource/case-sensitive", IMPLICIT_DENY, identity=doc(allow("s3:GetObject", "arn:aws:s3:::Bucket/key"))),
    case("resource/object-wildcard", ALLOW, identity=doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))),
    case(
        "resource/object-wildcard-not-bucket", IMPLICIT_DENY, action="s3:ListBucket", resource=BUCKET,
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/*")),
    ),
    case("resource/star-spans-slashes", ALLOW, identity=doc(allow("s3:*", "arn:aws:s3:::buck*"))),
    case("resource/qmark-one-char", ALLOW, identity=doc(allow("s3:*", "arn:aws:s3:::bucket/k?y"))),
    case(
        "resource/qmark-exactly-one", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/keey",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/k?y")),
    ),
    case("resource/star-any", ALLOW, identity=doc(allow("s3:*", "*"))),
    case(
        "resource/region-segment-wildcard", ALLOW, action="sqs:SendMessage", resource=QUEUE,
        identity=doc(allow("sqs:*", f"arn:aws:sqs:*:{A}:q")),
    ),
    case(
        "resource/segment-wildcard-stays-in-segment", IMPLICIT_DENY, action="sqs:SendMessage", resource=QUEUE,
        identity=doc(allow("sqs:*", f"arn:aws:sqs:*:{B}:*")),
    ),
    case(
        "resource/last-field-spans-colons", ALLOW, action="lambda:InvokeFunction",
        resource=f"arn:aws:lambda:us-east-1:{A}:function:fn:1",
        identity=doc(allow("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*")),
    ),
    case(
        "resource/list-any-of", ALLOW,
        identity=doc(allow("s3:*", ["arn:aws:s3:::other/*", "arn:aws:s3:::bucket/*"])),
    ),
    case(
        "resource/specific-arn-not-star-request", IMPLICIT_DENY, action="s3:ListAllMyBuckets", resource="*",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket")),
    ),
    case(
        "resource/not-resource-allow-others", ALLOW,
        identity=doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
    ),
    case(
        "resource/not-resource-allow-excludes-listed", IMPLICIT_DENY, resource="arn:aws:s3:::secret/k",
        identity=doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
    ),
    case(
        "resource/not-resource-deny-others", EXPLICIT_DENY, resource="arn:aws:s3:::elsewhere/k",
        identity=doc(allow(), {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, "arn:aws:s3:::bucket/*"]}),
    ),
    case(
        "resource/not-resource-deny-spares-listed", ALLOW,
        identity=doc(allow(), {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, "arn:aws:s3:::bucket/*"]}),
    ),
]  # fmt: skip

# --- Condition operators (IAM JSON policy elements: Condition operators; Condition) ---------------

STRING_CASES = [
    case("string/equals", ALLOW, identity=when("StringEquals", "s3:x-amz-acl", "private"), context={"s3:x-amz-acl": "private"}),
    case(
        "string/equals-case-sensitive", IMPLICIT_DENY,
        identity=when("StringEquals", "aws:username", "Bob"),
    ),
    case("string/equals-ignore-case", ALLOW, identity=when("StringEqualsIgnoreCase", "aws:username", "BOB")),
    case("string/not-equals-different", ALLOW, identity=when("StringNotEquals", "aws:username", "eve")),
    case("string/not-equals-same", IMPLICIT_DENY, identity=when("StringNotEquals", "aws:username", "bob")),
    case("string/not-equals-ignore-case", IMPLICIT_DENY, identity=when("StringNotEqualsIgnoreCase", "aws:username", "BOB")),
    case("string/not-equals-missing-key-true", ALLOW, identity=when("StringNotEquals", "s3:x-amz-acl", "public-read")),
    case("string/equals-missing-key-false", IMPLICIT_DENY, identity=when("StringEquals", "s3:x-amz-acl", "private")),
    case("string/like-star", ALLOW, identity=when("StringLike", "s3:prefix", "home/*"), context={"s3:prefix": "home/bob/"}),
    case("string/like-qmark", ALLOW, identity=when("StringLike", "s3:prefix", "v?"), context={"s3:prefix": "v2"}),
    case("string/like-no-match", IMPLICIT_DENY, identity=when("StringLike", "s3:prefix", "home/*"), context={"s3:prefix": "etc/"}),
    case("string/not-like", ALLOW, identity=when("StringNotLike", "s3:prefix", "private/*"), context={"s3:prefix": "pub/"}),
    case("string/not-like-match", IMPLICIT_DENY, identity=when("StringNotLike", "s3:prefix", "private/*"), context={"s3:prefix": "private/a"}),
    case(
        "string/values-or", ALLOW, identity=when("StringEquals", "s3:x-amz-acl", ["private", "bucket-owner-full-control"]),
        context={"s3:x-amz-acl": "bucket-owner-full-control"},
    ),
    case(
        "string/keys-and", IMPLICIT_DENY,
        identity=doc(allow(Condition={"StringEquals": {"aws:username": "bob", "s3:x-amz-acl": "private"}})),
        context={"s3:x-amz-acl": "public-read"},
    ),
    case(
        "string/operators-and", ALLOW,
        identity=doc(allow(Condition={"StringEquals": {"aws:username": "bob"}, "StringLike": {"s3:prefix": "a*"}})),
        context={"s3:prefix": "abc"},
    ),
    case("string/key-name-case-insensitive", ALLOW, identity=when("StringEquals", "AWS:UserName", "bob")),
    case("string/if-exists-missing-true", ALLOW, identity=when("StringEqualsIfExists", "s3:x-amz-acl", "private")),
    case(
        "string/if-exists-present-checked", IMPLICIT_DENY, identity=when("StringEqualsIfExists", "s3:x-amz-acl", "private"),
        context={"s3:x-amz-acl": "public-read"},
    ),
    case("string/number-context-as-text", ALLOW, identity=when("StringEquals", "s3:max-keys", "10"), context={"s3:max-keys": 10}),
]  # fmt: skip

NUMERIC_DATE_BOOL_CASES = [
    case("numeric/less-than", ALLOW, identity=when("NumericLessThan", "s3:max-keys", "100"), context={"s3:max-keys": "10"}),
    case("numeric/less-than-equals-bound", ALLOW, identity=when("NumericLessThanEquals", "s3:max-keys", "10"), context={"s3:max-keys": 10}),
    case("numeric/greater-than-false", IMPLICIT_DENY, identity=when("NumericGreaterThan", "s3:max-keys", 10), context={"s3:max-keys": 10}),
    case("numeric/greater-than-equals", ALLOW, identity=when("NumericGreaterThanEquals", "s3:max-keys", "10"), context={"s3:max-keys": 10}),
    case("numeric/equals-float", ALLOW, identity=when("NumericEquals", "s3:max-keys", "10.0"), context={"s3:max-keys": "10"}),
    case("numeric/not-equals", ALLOW, identity=when("NumericNotEquals", "s3:max-keys", "5"), context={"s3:max-keys": "10"}),
    case("numeric/non-number-context-false", IMPLICIT_DENY, identity=when("NumericEquals", "s3:max-keys", "10"), context={"s3:max-keys": "ten"}),
    case("numeric/missing-key-false", IMPLICIT_DENY, identity=when("NumericLessThan", "s3:max-keys", "100")),
    case(
        "numeric/mfa-age-within-hour", ALLOW, identity=when("NumericLessThan", "aws:MultiFactorAuthAge", "3600"),
        context={"aws:MultiFactorAuthAge": 120},
    ),
    case("date/current-time-after", ALLOW, identity=when("DateGreaterThan", "aws:CurrentTime", "2024-01-01T00:00:00Z")),
    case("date/current-time-before-false", IMPLICIT_DENY, identity=when("DateLessThan", "aws:CurrentTime", "2024-01-01T00:00:00Z")),
    case("date/epoch-policy-value", ALLOW, identity=when("DateGreaterThan", "aws:CurrentTime", "1700000000")),
    case("date/epoch-time-equals", ALLOW, identity=when("DateLessThanEquals", "aws:EpochTime", str(int(NOW.timestamp())))),
    case("date/not-equals", ALLOW, identity=when("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z")),
    case("date/date-only-value", ALLOW, identity=when("DateLessThan", "aws:CurrentTime", "2024-06-02")),
    case(
        "date/token-issue-time", IMPLICIT_DENY, identity=when("DateGreaterThan", "aws:TokenIssueTime", "2024-05-31T00:00:00Z"),
        context={"aws:TokenIssueTime": datetime(2024, 5, 1, tzinfo=UTC)},
    ),
    case("bool/true", ALLOW, identity=when("Bool", "aws:SecureTransport", "true"), context={"aws:SecureTransport": True}),
    case("bool/json-true", ALLOW, identity=when("Bool", "aws:SecureTransport", True), context={"aws:SecureTransport": True}),
    case("bool/mismatch", IMPLICIT_DENY, identity=when("Bool", "aws:SecureTransport", "true"), context={"aws:SecureTransport": False}),
    case(
        "bool/deny-insecure-transport", EXPLICIT_DENY, IDENTITY,
        identity=[ALL_S3, when("Bool", "aws:SecureTransport", "false", effect="Deny")],
        context={"aws:SecureTransport": False},
    ),
    # Long-term keys carry no aws:MultiFactorAuthPresent: a plain Bool deny does not apply to them...
    case(
        "bool/missing-key-deny-does-not-apply", ALLOW,
        identity=[ALL_S3, when("Bool", "aws:MultiFactorAuthPresent", "false", effect="Deny")],
    ),
    # ...which is why the documentation recommends BoolIfExists for MFA denies.
    case(
        "bool/if-exists-deny-applies-when-missing", EXPLICIT_DENY,
        identity=[ALL_S3, when("BoolIfExists", "aws:MultiFactorAuthPresent", "false", effect="Deny")],
    ),
    case(
        "bool/if-exists-deny-spares-mfa", ALLOW,
        identity=[ALL_S3, when("BoolIfExists", "aws:MultiFactorAuthPresent", "false", effect="Deny")],
        context={"aws:MultiFactorAuthPresent": True},
    ),
    case("binary/equals", ALLOW, identity=when("BinaryEquals", "s3:blob", "QmluYXJ5VmFsdWU="), context={"s3:blob": b"BinaryValue"}),
    case("binary/mismatch", IMPLICIT_DENY, identity=when("BinaryEquals", "s3:blob", "QmluYXJ5VmFsdWU="), context={"s3:blob": b"Other"}),
]  # fmt: skip

IP_ARN_NULL_CASES = [
    case("ip/v4-in-cidr", ALLOW, identity=when("IpAddress", "aws:SourceIp", "203.0.113.0/24"), context={"aws:SourceIp": "203.0.113.7"}),
    case("ip/v4-outside", IMPLICIT_DENY, identity=when("IpAddress", "aws:SourceIp", "203.0.113.0/24"), context={"aws:SourceIp": "198.51.100.7"}),
    case("ip/v6-in-cidr", ALLOW, identity=when("IpAddress", "aws:SourceIp", "2001:db8::/32"), context={"aws:SourceIp": "2001:db8:1::5"}),
    case("ip/v6-outside", IMPLICIT_DENY, identity=when("IpAddress", "aws:SourceIp", "2001:db8::/32"), context={"aws:SourceIp": "2001:db9::5"}),
    case("ip/single-address", ALLOW, identity=when("IpAddress", "aws:SourceIp", "203.0.113.7"), context={"aws:SourceIp": "203.0.113.7"}),
    case("ip/v4-rule-v6-client", IMPLICIT_DENY, identity=when("IpAddress", "aws:SourceIp", "0.0.0.0/0"), context={"aws:SourceIp": "2001:db8::1"}),
    case(
        "ip/mixed-list", ALLOW, identity=when("IpAddress", "aws:SourceIp", ["192.0.2.0/24", "2001:db8::/32"]),
        context={"aws:SourceIp": "2001:db8::1"},
    ),
    case("ip/not-ip-inside-false", IMPLICIT_DENY, identity=when("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"), context={"aws:SourceIp": "203.0.113.7"}),
    case(
        "ip/deny-outside-range", EXPLICIT_DENY,
        identity=[ALL_S3, when("NotIpAddress", "aws:SourceIp", ["192.0.2.0/24", "203.0.113.0/24"], effect="Deny")],
        context={"aws:SourceIp": "198.51.100.1"},
    ),
    case("ip/missing-key-false", IMPLICIT_DENY, identity=when("IpAddress", "aws:SourceIp", "0.0.0.0/0")),
    case(
        "arn/like-wildcards", ALLOW, identity=when("ArnLike", "aws:SourceArn", f"arn:aws:sns:*:{A}:*"),
        context={"aws:SourceArn": TOPIC},
    ),
    case("arn/equals", ALLOW, identity=when("ArnEquals", "aws:SourceArn", TOPIC), context={"aws:SourceArn": TOPIC}),
    case(
        "arn/like-segment-stays-in-segment", IMPLICIT_DENY, identity=when("ArnLike", "aws:SourceArn", f"arn:aws:sns:*:{B}:*"),
        context={"aws:SourceArn": TOPIC},
    ),
    case(
        "arn/not-like", ALLOW, identity=when("ArnNotLike", "aws:SourceArn", f"arn:aws:sns:*:{B}:*"),
        context={"aws:SourceArn": TOPIC},
    ),
    case("arn/not-an-arn-false", IMPLICIT_DENY, identity=when("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:*"), context={"aws:SourceArn": "topic"}),
    case(
        "arn/case-sensitive", IMPLICIT_DENY, identity=when("ArnEquals", "aws:SourceArn", TOPIC.upper()),
        context={"aws:SourceArn": TOPIC},
    ),
    case("null/true-when-absent", ALLOW, identity=when("Null", "aws:TokenIssueTime", "true")),
    case(
        "null/true-when-present-false", IMPLICIT_DENY, identity=when("Null", "aws:TokenIssueTime", "true"),
        context={"aws:TokenIssueTime": NOW},
    ),
    case("null/false-when-present", ALLOW, identity=when("Null", "aws:username", "false")),
    case("null/false-when-absent", IMPLICIT_DENY, principal=SESSION, identity=when("Null", "aws:username", "false")),
    case(
        "null/deny-untagged-create", EXPLICIT_DENY, action="s3:CreateBucket", resource=BUCKET,
        identity=[ALL_S3, when("Null", "aws:RequestTag/cost-center", "true", effect="Deny")],
    ),
]  # fmt: skip

IF_EXISTS_CASES = [
    case("if-exists/numeric-missing", ALLOW, identity=when("NumericLessThanIfExists", "s3:max-keys", "100")),
    case("if-exists/numeric-present", IMPLICIT_DENY, identity=when("NumericLessThanIfExists", "s3:max-keys", "100"), context={"s3:max-keys": 500}),
    case("if-exists/date-missing", ALLOW, identity=when("DateLessThanIfExists", "aws:TokenIssueTime", "2024-01-01T00:00:00Z")),
    case("if-exists/ip-missing", ALLOW, identity=when("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")),
    case("if-exists/not-ip-present", IMPLICIT_DENY, identity=when("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8"), context={"aws:SourceIp": "10.1.2.3"}),
    case("if-exists/arn-missing", ALLOW, identity=when("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*")),
    case("if-exists/arn-present", IMPLICIT_DENY, identity=when("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*"), context={"aws:SourceArn": QUEUE}),
    case("if-exists/string-not-equals-present", IMPLICIT_DENY, identity=when("StringNotEqualsIfExists", "s3:x-amz-acl", "public-read"),
         context={"s3:x-amz-acl": "public-read"}),
]  # fmt: skip

# --- Multivalued context keys: ForAllValues / ForAnyValue (IAM: "Set operators for multivalued
# context keys"; empty or absent keys make ForAllValues true and ForAnyValue false) --------------

SET_CASES = [
    case("set/all-values-subset", ALLOW, identity=when("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"]), context={"aws:TagKeys": ["env"]}),
    case(
        "set/all-values-not-subset", IMPLICIT_DENY, identity=when("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"]),
        context={"aws:TagKeys": ["env", "owner"]},
    ),
    case("set/all-values-missing-key-true", ALLOW, identity=when("ForAllValues:StringEquals", "aws:TagKeys", ["env"])),
    case("set/all-values-empty-true", ALLOW, identity=when("ForAllValues:StringEquals", "aws:TagKeys", ["env"]), context={"aws:TagKeys": []}),
    case(
        "set/any-value-one-match", ALLOW, identity=when("ForAnyValue:StringEquals", "aws:TagKeys", ["env"]),
        context={"aws:TagKeys": ["owner", "env"]},
    ),
    case(
        "set/any-value-no-match", IMPLICIT_DENY, identity=when("ForAnyValue:StringEquals", "aws:TagKeys", ["env"]),
        context={"aws:TagKeys": ["owner"]},
    ),
    case("set/any-value-missing-key-false", IMPLICIT_DENY, identity=when("ForAnyValue:StringEquals", "aws:TagKeys", ["env"])),
    case("set/any-value-empty-false", IMPLICIT_DENY, identity=when("ForAnyValue:StringEquals", "aws:TagKeys", ["env"]), context={"aws:TagKeys": []}),
    case(
        "set/all-values-like", ALLOW, identity=when("ForAllValues:StringLike", "aws:TagKeys", ["app-*"]),
        context={"aws:TagKeys": ["app-a", "app-b"]},
    ),
    case(
        "set/all-values-ignore-case", ALLOW, identity=when("ForAllValues:StringEqualsIgnoreCase", "aws:TagKeys", ["ENV"]),
        context={"aws:TagKeys": ["env", "Env"]},
    ),
    case(
        "set/any-value-not-equals", ALLOW, identity=when("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"]),
        context={"aws:TagKeys": ["env", "owner"]},
    ),
    case(
        "set/all-values-not-equals-false", IMPLICIT_DENY, identity=when("ForAllValues:StringNotEquals", "aws:TagKeys", ["env"]),
        context={"aws:TagKeys": ["env", "owner"]},
    ),
    case(
        "set/deny-protected-tag-key", EXPLICIT_DENY,
        identity=[ALL_S3, when("ForAnyValue:StringEquals", "aws:TagKeys", ["protected"], effect="Deny")],
        context={"aws:TagKeys": ["name", "protected"]},
    ),
    case(
        "set/all-values-if-exists-missing", ALLOW, identity=when("ForAllValues:StringEqualsIfExists", "aws:TagKeys", ["env"]),
    ),
]  # fmt: skip

# --- Policy variables (IAM: "Policy elements: Variables and tags"; Resource element variables,
# defaults, ${*}/${?}/${$}, 2012-10-17 only; a variable with no value matches nothing) -----------

HOME = "arn:aws:s3:::bucket/home/${aws:username}/*"
VARIABLE_CASES = [
    case("var/username-home", ALLOW, resource="arn:aws:s3:::bucket/home/bob/notes", identity=doc(allow("s3:*", HOME))),
    case("var/username-other-home", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/home/eve/notes", identity=doc(allow("s3:*", HOME))),
    case(
        "var/no-value-resource-matches-nothing", IMPLICIT_DENY, principal=SESSION,
        resource="arn:aws:s3:::bucket/home/alice/notes", identity=doc(allow("s3:*", HOME)),
    ),
    case(
        "var/default-when-absent", ALLOW, principal=SESSION, resource="arn:aws:s3:::bucket/home/shared/x",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username, 'shared'}/*")),
    ),
    case(
        "var/default-unused-when-present", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/home/shared/x",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username, 'shared'}/*")),
    ),
    case(
        "var/principal-tag-in-resource", ALLOW, resource="arn:aws:s3:::bucket/blue/x",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*")),
    ),
    case(
        "var/userid-in-resource", ALLOW, resource="arn:aws:s3:::bucket/AIDABOB/x",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/${aws:userid}/*")),
    ),
    case(
        "var/abac-tag-match", ALLOW, identity=when("StringEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}"),
        context={"aws:ResourceTag/project": "apollo"},
    ),
    case(
        "var/abac-tag-mismatch", IMPLICIT_DENY, identity=when("StringEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}"),
        context={"aws:ResourceTag/project": "gemini"},
    ),
    case(
        "var/no-value-positive-operator-false", IMPLICIT_DENY, principal=FED,
        identity=when("StringEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}"),
        context={"aws:ResourceTag/project": "apollo"},
    ),
    case(
        "var/no-value-negated-operator-true", EXPLICIT_DENY, principal=FED,
        identity=[ALL_S3, when("StringNotEquals", "aws:ResourceTag/project", "${aws:PrincipalTag/project}", effect="Deny")],
        context={"aws:ResourceTag/project": "apollo"},
    ),
    case(
        "var/prefix-condition", ALLOW, action="s3:ListBucket", resource=BUCKET,
        identity=when("StringLike", "s3:prefix", ["home/${aws:username}/*"], action="s3:ListBucket", resource=BUCKET),
        context={"s3:prefix": "home/bob/docs/"},
    ),
    case(
        "var/prefix-condition-other", IMPLICIT_DENY, action="s3:ListBucket", resource=BUCKET,
        identity=when("StringLike", "s3:prefix", ["home/${aws:username}/*"], action="s3:ListBucket", resource=BUCKET),
        context={"s3:prefix": "home/eve/"},
    ),
    case(
        "var/escape-star-literal", ALLOW, resource="arn:aws:s3:::bucket/a*b",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/a${*}b")),
    ),
    case(
        "var/escape-star-not-wildcard", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/axyzb",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/a${*}b")),
    ),
    case(
        "var/escape-qmark-literal", ALLOW, resource="arn:aws:s3:::bucket/why?",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/why${?}")),
    ),
    case(
        "var/escape-qmark-not-wildcard", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/whyz",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/why${?}")),
    ),
    case(
        "var/escape-dollar", ALLOW, resource="arn:aws:s3:::bucket/cost$",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/cost${$}")),
    ),
    case(
        "var/substituted-star-is-literal", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/blue/x",
        principal=Principal.from_arn(BOB.arn, tags={"team": "*"}),
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/x")),
    ),
    case(
        "var/multivalued-key-no-substitution", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/env",
        identity=doc(allow("s3:*", "arn:aws:s3:::bucket/${aws:TagKeys}")), context={"aws:TagKeys": ["env"]},
    ),
    case(
        "var/arn-operator", ALLOW, identity=when("ArnLike", "aws:SourceArn", "arn:aws:sns:*:${aws:PrincipalAccount}:*"),
        context={"aws:SourceArn": TOPIC},
    ),
    case(
        "var/version-2008-literal", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/home/bob/notes",
        identity=doc(allow("s3:*", HOME), version="2008-10-17"),
    ),
    case(
        "var/version-2008-matches-text", ALLOW, resource="arn:aws:s3:::bucket/home/${aws:username}/notes",
        identity=doc(allow("s3:*", HOME), version="2008-10-17"),
    ),
    case(
        "var/version-missing-is-2008", IMPLICIT_DENY, resource="arn:aws:s3:::bucket/home/bob/notes",
        identity=doc(allow("s3:*", HOME), version=None),
    ),
    case(
        "var/not-in-numeric-operators", IMPLICIT_DENY, identity=when("NumericEquals", "s3:max-keys", "${aws:EpochTime}"),
        context={"s3:max-keys": int(NOW.timestamp())},
    ),
]  # fmt: skip

# --- Global condition keys (IAM: "AWS global condition context keys"): derived by the engine from
# the principal and the clock, or passed by the caller ---------------------------------------

GLOBAL_KEY_CASES = [
    case("key/username-user", ALLOW, identity=when("StringEquals", "aws:username", "bob")),
    case("key/username-absent-for-role-session", ALLOW, principal=SESSION, identity=when("Null", "aws:username", "true")),
    case("key/userid-user", ALLOW, identity=when("StringEquals", "aws:userid", "AIDABOB")),
    case("key/userid-role-session", ALLOW, principal=SESSION, identity=when("StringLike", "aws:userid", "AROADEV:*")),
    case("key/userid-federated-user", ALLOW, principal=FED, identity=when("StringEquals", "aws:userid", f"{A}:carol")),
    case("key/principal-arn-user", ALLOW, identity=when("ArnEquals", "aws:PrincipalArn", BOB.arn)),
    case("key/principal-arn-is-role-for-session", ALLOW, principal=SESSION, identity=when("ArnEquals", "aws:PrincipalArn", ROLE)),
    case("key/principal-arn-federated-user", ALLOW, principal=FED, identity=when("ArnEquals", "aws:PrincipalArn", FED.arn)),
    case("key/principal-account", ALLOW, identity=when("StringEquals", "aws:PrincipalAccount", A)),
    case("key/principal-type-user", ALLOW, identity=when("StringEquals", "aws:PrincipalType", "User")),
    case("key/principal-type-assumed-role", ALLOW, principal=SESSION, identity=when("StringEquals", "aws:PrincipalType", "AssumedRole")),
    case("key/principal-type-federated-user", ALLOW, principal=FED, identity=when("StringEquals", "aws:PrincipalType", "FederatedUser")),
    case(
        "key/principal-type-account-for-root", EXPLICIT_DENY, RESOURCE, principal=ROOT_A,
        resource_policies=doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                               "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}),
    ),
    case(
        "key/principal-type-anonymous", ALLOW, principal=ANON,
        resource_policies=grant("*", Condition={"StringEquals": {"aws:PrincipalType": "Anonymous"}}),
    ),
    case("key/principal-tag", ALLOW, identity=when("StringEquals", "aws:PrincipalTag/team", "blue")),
    case("key/principal-tag-key-case-insensitive", ALLOW, identity=when("StringEquals", "aws:PrincipalTag/TEAM", "blue")),
    case("key/principal-tag-value-case-sensitive", IMPLICIT_DENY, identity=when("StringEquals", "aws:PrincipalTag/team", "Blue")),
    case("key/current-time-from-clock", ALLOW, identity=when("DateEquals", "aws:CurrentTime", "2024-06-01T12:00:00Z")),
    case("key/epoch-time-from-clock", ALLOW, identity=when("NumericEquals", "aws:EpochTime", str(int(NOW.timestamp())))),
    case(
        "key/caller-value-overrides-derived", IMPLICIT_DENY, identity=when("StringEquals", "aws:username", "bob"),
        context={"aws:username": "mallory"},
    ),
    case(
        "key/principal-is-aws-service", ALLOW, principal=SNS,
        resource_policies=grant({"Service": "sns.amazonaws.com"}, Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}}),
    ),
    case(
        "key/principal-service-name", ALLOW, principal=SNS,
        resource_policies=grant("*", Condition={"StringEquals": {"aws:PrincipalServiceName": "sns.amazonaws.com"}}),
    ),
    case(
        "key/principal-org-id", ALLOW, principal=EVE, owner=A, identity=ALL_S3,
        resource_policies=grant("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        context={"aws:PrincipalOrgID": "o-abc123"},
    ),
    case(
        "key/principal-org-id-other-org", IMPLICIT_DENY, RESOURCE, principal=EVE, identity=ALL_S3,
        resource_policies=grant("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        context={"aws:PrincipalOrgID": "o-zzz999"},
    ),
    case(
        "key/request-tag", ALLOW, action="s3:PutObjectTagging",
        identity=when("StringEquals", "aws:RequestTag/env", "dev"), context={"aws:RequestTag/env": "dev"},
    ),
    case("key/resource-tag", ALLOW, identity=when("StringEquals", "aws:ResourceTag/env", "dev"), context={"aws:ResourceTag/Env": "dev"}),
    case("key/service-specific", ALLOW, identity=when("StringEquals", "s3:x-amz-server-side-encryption", "AES256"),
         context={"s3:x-amz-server-side-encryption": "AES256"}),
    case("key/requested-region", EXPLICIT_DENY, identity=[EVERYTHING, when("StringNotEquals", "aws:RequestedRegion", ["eu-west-1"], effect="Deny", action="*")],
         context={"aws:RequestedRegion": "us-east-1"}),
]  # fmt: skip

# --- Principal / NotPrincipal in resource-based policies (IAM JSON policy elements: Principal,
# NotPrincipal; account principals delegate to the account's identity policies) -----------------

PRINCIPAL_CASES = [
    case("principal/star-same-account", ALLOW, RESOURCE, resource_policies=grant("*")),
    case("principal/aws-star-equals-star", ALLOW, RESOURCE, resource_policies=grant({"AWS": "*"})),
    case("principal/user-arn", ALLOW, RESOURCE, resource_policies=grant(BOB.arn)),
    case("principal/other-user-does-not-apply", IMPLICIT_DENY, resource_policies=grant(f"arn:aws:iam::{A}:user/eve")),
    case("principal/account-id-delegates", IMPLICIT_DENY, IDENTITY, resource_policies=grant(A)),
    case("principal/account-root-arn-delegates", IMPLICIT_DENY, resource_policies=grant(f"arn:aws:iam::{A}:root")),
    case("principal/account-plus-identity", ALLOW, identity=ALL_S3, resource_policies=grant(A)),
    case("principal/role-arn-covers-session", ALLOW, RESOURCE, principal=SESSION, resource_policies=grant(ROLE)),
    case("principal/session-arn", ALLOW, RESOURCE, principal=SESSION, resource_policies=grant(SESSION.arn)),
    case(
        "principal/other-session-does-not-apply", IMPLICIT_DENY, principal=SESSION,
        resource_policies=grant(f"arn:aws:sts::{A}:assumed-role/Dev/mallory"),
    ),
    case(
        "principal/role-path-must-match", IMPLICIT_DENY,
        principal=Principal.from_arn(SESSION.arn, role_arn=f"arn:aws:iam::{A}:role/team/Dev"), resource_policies=grant(ROLE),
    ),
    case("principal/service", ALLOW, RESOURCE, principal=SNS, resource_policies=grant({"Service": "sns.amazonaws.com"})),
    case("principal/service-list", ALLOW, principal=SNS, resource_policies=grant({"Service": ["s3.amazonaws.com", "sns.amazonaws.com"]})),
    case("principal/other-service", IMPLICIT_DENY, principal=SNS, resource_policies=grant({"Service": "events.amazonaws.com"})),
    case("principal/service-not-for-users", IMPLICIT_DENY, resource_policies=grant({"Service": "sns.amazonaws.com"})),
    case(
        "principal/canonical-user-is-account", ALLOW, principal=Principal.from_arn(EVE.arn, canonical_id="c0ffee"),
        identity=ALL_S3, resource_policies=grant({"CanonicalUser": "c0ffee"}),
    ),
    case(
        "principal/canonical-user-needs-identity", IMPLICIT_DENY, principal=Principal.from_arn(EVE.arn, canonical_id="c0ffee"),
        resource_policies=grant({"CanonicalUser": "c0ffee"}),
    ),
    case("principal/anonymous-star", ALLOW, RESOURCE, principal=ANON, resource_policies=grant("*")),
    case("principal/anonymous-not-an-account", IMPLICIT_DENY, principal=ANON, resource_policies=grant(A)),
    case(
        "principal/deny-names-user", EXPLICIT_DENY, RESOURCE, identity=ALL_S3,
        resource_policies=grant(BOB.arn, effect="Deny"),
    ),
    case(
        "principal/deny-names-other-user", ALLOW, IDENTITY, identity=ALL_S3,
        resource_policies=grant(f"arn:aws:iam::{A}:user/eve", effect="Deny"),
    ),
    case("principal/deny-names-account", EXPLICIT_DENY, identity=ALL_S3, resource_policies=grant(A, effect="Deny")),
    case("principal/deny-names-role-hits-session", EXPLICIT_DENY, principal=SESSION, identity=ALL_S3, resource_policies=grant(ROLE, effect="Deny")),
    case(
        "not-principal/listed-user-and-account-spared", ALLOW, identity=ALL_S3,
        resource_policies=not_principal_deny(BOB.arn, f"arn:aws:iam::{A}:root"),
    ),
    case(
        "not-principal/others-denied", EXPLICIT_DENY, RESOURCE, principal=Principal.from_arn(f"arn:aws:iam::{A}:user/eve"),
        identity=ALL_S3, resource_policies=not_principal_deny(BOB.arn, f"arn:aws:iam::{A}:root"),
    ),
    case(
        "not-principal/without-account-denied", EXPLICIT_DENY, identity=ALL_S3,
        resource_policies=not_principal_deny(BOB.arn),
    ),
    case(
        "not-principal/session-role-account-spared", ALLOW, principal=SESSION, identity=ALL_S3,
        resource_policies=not_principal_deny(SESSION.arn, ROLE, f"arn:aws:iam::{A}:root"),
    ),
    case(
        "not-principal/role-without-session-denied", EXPLICIT_DENY, principal=SESSION, identity=ALL_S3,
        resource_policies=not_principal_deny(ROLE, f"arn:aws:iam::{A}:root"),
    ),
    case(
        "not-principal/anonymous-denied", EXPLICIT_DENY, principal=ANON,
        resource_policies=[grant("*"), not_principal_deny(BOB.arn, f"arn:aws:iam::{A}:root")],
    ),
    case(
        "not-principal/boundary-always-denied", EXPLICIT_DENY, principal=BOB_BOUNDED, identity=ALL_S3, boundary=ALL_S3,
        resource_policies=not_principal_deny(BOB.arn, f"arn:aws:iam::{A}:root"),
    ),
    case(
        "not-principal/service-spared", ALLOW, principal=SNS,
        resource_policies=[grant({"Service": "sns.amazonaws.com"}), not_principal_deny(Service="sns.amazonaws.com")],
    ),
    case(
        "not-principal/star-spares-everyone", ALLOW, identity=ALL_S3,
        resource_policies=doc({"Effect": "Deny", "NotPrincipal": "*", "Action": "s3:*", "Resource": "*"}),
    ),
]  # fmt: skip

# --- Evaluation logic within an account (IAM: "Policy evaluation logic", "Determining whether a
# request is allowed or denied within an account") ---------------------------------------------

SINGLE_ACCOUNT_CASES = [
    case("eval/default-implicit-deny", IMPLICIT_DENY, IDENTITY),
    case("eval/identity-allow", ALLOW, IDENTITY, identity=ALL_S3),
    case("eval/deny-beats-allow-same-policy", EXPLICIT_DENY, IDENTITY, identity=doc(allow(), deny("s3:GetObject"))),
    case("eval/deny-beats-allow-across-policies", EXPLICIT_DENY, identity=[ALL_S3, doc(deny("s3:Get*"))]),
    case("eval/allow-in-any-identity-policy", ALLOW, identity=[doc(allow("sqs:*")), doc(allow("s3:GetObject"))]),
    case("eval/deny-for-other-action-irrelevant", ALLOW, identity=doc(allow(), deny("s3:DeleteObject"))),
    case("eval/deny-in-resource-policy-wins", EXPLICIT_DENY, RESOURCE, identity=ALL_S3, resource_policies=grant("*", effect="Deny")),
    case("eval/resource-policy-alone-allows", ALLOW, RESOURCE, resource_policies=grant(BOB.arn)),
    case("eval/identity-or-resource", ALLOW, IDENTITY, identity=ALL_S3, resource_policies=grant(f"arn:aws:iam::{A}:user/eve")),
    case(
        "eval/resource-statement-resource-must-match", IMPLICIT_DENY,
        resource_policies=grant(BOB.arn, resource="arn:aws:s3:::bucket/other"),
    ),
    case(
        "eval/resource-statement-condition", IMPLICIT_DENY,
        resource_policies=grant(BOB.arn, Condition={"Bool": {"aws:SecureTransport": "true"}}),
        context={"aws:SecureTransport": False},
    ),
    case("eval/root-needs-no-policy", ALLOW, ROOT, principal=ROOT_A),
    case("eval/root-bound-by-explicit-deny", EXPLICIT_DENY, RESOURCE, principal=ROOT_A, resource_policies=grant("*", effect="Deny")),
    case(
        "eval/s3-arn-without-account-is-callers", ALLOW, IDENTITY, owner=None, identity=ALL_S3,
    ),
    case(
        "eval/account-from-resource-arn", IMPLICIT_DENY, RESOURCE, owner=None, principal=EVE,
        action="sqs:SendMessage", resource=QUEUE, identity=doc(allow("sqs:*")),
    ),
]  # fmt: skip

# --- Organizations: SCPs and RCPs (Organizations: "SCP evaluation", "RCP evaluation", "Resources
# and entities not restricted by SCPs/RCPs"; every level from the root down must allow) ---------

FULL = doc(allow("*"))
ORG_CASES = [
    case("scp/allow-and-identity", ALLOW, IDENTITY, identity=ALL_S3, scps=[[FULL], [FULL]]),
    case("scp/no-allow", IMPLICIT_DENY, SCP, identity=ALL_S3, scps=[[FULL], [doc(allow("ec2:*"))]]),
    case("scp/deny", EXPLICIT_DENY, SCP, identity=ALL_S3, scps=[[FULL, doc(deny("s3:GetObject"))]]),
    case("scp/grants-nothing", IMPLICIT_DENY, IDENTITY, scps=[[FULL]]),
    case("scp/every-level-must-allow", IMPLICIT_DENY, SCP, identity=ALL_S3, scps=[[FULL], [FULL], []]),
    case("scp/any-policy-at-level-allows", ALLOW, identity=ALL_S3, scps=[[doc(allow("ec2:*")), doc(allow("s3:Get*"))]]),
    case("scp/binds-member-root", IMPLICIT_DENY, SCP, principal=ROOT_A, scps=[[doc(allow("ec2:*"))]]),
    case("scp/deny-binds-member-root", EXPLICIT_DENY, SCP, principal=ROOT_A, scps=[[FULL, doc(deny("s3:*"))]]),
    case("scp/binds-role-sessions", IMPLICIT_DENY, SCP, principal=SESSION, identity=ALL_S3, scps=[[doc(allow("ec2:*"))]]),
    case("scp/not-service-linked-role", ALLOW, IDENTITY, principal=SLR, identity=ALL_S3, scps=[[doc(allow("ec2:*"))]]),
    case(
        "scp/not-service-linked-role-by-name", ALLOW, principal=Principal.from_arn(f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForSupport/s"),
        identity=ALL_S3, scps=[[doc(deny("s3:*"))]],
    ),
    case("scp/not-anonymous", ALLOW, RESOURCE, principal=ANON, resource_policies=grant("*"), scps=[[doc(deny("s3:*"))]]),
    case(
        "scp/not-service-principals", ALLOW, principal=SNS, resource_policies=grant({"Service": "sns.amazonaws.com"}),
        scps=[[doc(deny("s3:*"))]],
    ),
    case(
        "scp/region-deny", EXPLICIT_DENY, SCP, identity=EVERYTHING, action="ec2:RunInstances", resource="*",
        scps=[[FULL, when("StringNotEquals", "aws:RequestedRegion", ["eu-west-1"], effect="Deny", action="*")]],
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    case("scp/does-not-limit-resource-policy-of-others", EXPLICIT_DENY, SCP, principal=EVE, identity=ALL_S3,
         resource_policies=grant(EVE.arn), scps=[[FULL, doc(deny("s3:*"))]]),
    case("rcp/deny", EXPLICIT_DENY, RCP, identity=ALL_S3, rcps=[[doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})]]),
    case("rcp/no-allow", IMPLICIT_DENY, RCP, identity=ALL_S3, rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"})]]),
    case("rcp/grants-nothing", IMPLICIT_DENY, IDENTITY, rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})]]),
    case(
        "rcp/every-level-must-allow", IMPLICIT_DENY, RCP, identity=ALL_S3,
        rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})], []],
    ),
    case(
        "rcp/binds-anonymous", EXPLICIT_DENY, RCP, principal=ANON, resource_policies=grant("*"),
        rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
               doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}})]],
    ),
    case(
        "rcp/binds-external-principals", EXPLICIT_DENY, RCP, principal=EVE, identity=ALL_S3, resource_policies=grant(EVE.arn),
        rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
               doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}})]],
        context={"aws:PrincipalOrgID": "o-other"},
    ),
    case(
        "rcp/org-member-passes", ALLOW, principal=EVE, identity=ALL_S3, resource_policies=grant(EVE.arn),
        rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
               doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}})]],
        context={"aws:PrincipalOrgID": "o-abc123"},
    ),
    case(
        "rcp/binds-service-principals", EXPLICIT_DENY, RCP, principal=SNS, resource_policies=grant({"Service": "sns.amazonaws.com"}),
        rcps=[[doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
               doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                    "Condition": {"StringNotEqualsIfExists": {"aws:SourceAccount": A},
                                  "Bool": {"aws:PrincipalIsAWSService": "true"}}})]],
        context={"aws:SourceAccount": B},
    ),
    case("rcp/binds-root", EXPLICIT_DENY, RCP, principal=ROOT_A, rcps=[[doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})]]),
    case(
        "rcp/not-service-linked-role", ALLOW, principal=SLR, identity=ALL_S3,
        rcps=[[doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})]],
    ),
]  # fmt: skip

# --- Permissions boundaries (IAM: "Permissions boundaries for IAM entities", evaluation table:
# a same-account resource policy naming the user or the role session is not limited by the
# boundary's implicit deny; one naming the role is) ---------------------------------------------

BOUNDED_SESSION = Principal.from_arn(SESSION.arn, user_id="AROADEV:alice", has_boundary=True)
EC2_ONLY = doc(allow("ec2:*"))
BOUNDARY_CASES = [
    case("boundary/identity-within", ALLOW, IDENTITY, principal=BOB_BOUNDED, identity=ALL_S3, boundary=ALL_S3),
    case("boundary/identity-outside", IMPLICIT_DENY, BOUNDARY, principal=BOB_BOUNDED, identity=ALL_S3, boundary=EC2_ONLY),
    case("boundary/grants-nothing", IMPLICIT_DENY, IDENTITY, principal=BOB_BOUNDED, boundary=ALL_S3),
    case("boundary/deny", EXPLICIT_DENY, BOUNDARY, principal=BOB_BOUNDED, identity=ALL_S3, boundary=doc(allow(), deny("s3:GetObject"))),
    case("boundary/conditional", IMPLICIT_DENY, BOUNDARY, principal=BOB_BOUNDED, identity=ALL_S3,
         boundary=when("IpAddress", "aws:SourceIp", "10.0.0.0/8"), context={"aws:SourceIp": "192.0.2.1"}),
    case("boundary/resource-policy-names-user", ALLOW, RESOURCE, principal=BOB_BOUNDED, boundary=EC2_ONLY, resource_policies=grant(BOB.arn)),
    case(
        "boundary/resource-policy-names-session", ALLOW, RESOURCE, principal=BOUNDED_SESSION, boundary=EC2_ONLY,
        resource_policies=grant(SESSION.arn),
    ),
    case(
        "boundary/resource-policy-names-role-limited", IMPLICIT_DENY, BOUNDARY, principal=BOUNDED_SESSION, boundary=EC2_ONLY,
        resource_policies=grant(ROLE),
    ),
    case(
        "boundary/resource-policy-names-role-within", ALLOW, RESOURCE, principal=BOUNDED_SESSION, boundary=ALL_S3,
        resource_policies=grant(ROLE),
    ),
    case(
        "boundary/resource-policy-account-needs-identity", IMPLICIT_DENY, IDENTITY, principal=BOB_BOUNDED, boundary=ALL_S3,
        resource_policies=grant(A),
    ),
    case(
        "boundary/resource-policy-account-with-identity", ALLOW, principal=BOB_BOUNDED, boundary=ALL_S3, identity=ALL_S3,
        resource_policies=grant(A),
    ),
    case(
        "boundary/explicit-deny-beats-direct-grant", EXPLICIT_DENY, BOUNDARY, principal=BOB_BOUNDED,
        boundary=doc(deny("s3:*")), resource_policies=grant(BOB.arn),
    ),
    case("boundary/scp-and-boundary-and-identity", ALLOW, principal=BOB_BOUNDED, identity=ALL_S3, boundary=ALL_S3, scps=[[FULL]]),
]  # fmt: skip

# --- Session policies (IAM: "Session policies"; AssumeRole and GetFederationToken sessions: a
# resource policy naming the session ARN adds after the session policy, one naming the role or
# the federating user is limited by it) --------------------------------------------------------

SESSION_CASES = [
    case("session/within", ALLOW, IDENTITY, principal=SESSION, identity=ALL_S3, session=ALL_S3),
    case("session/outside", IMPLICIT_DENY, SESSION_POLICY, principal=SESSION, identity=ALL_S3, session=EC2_ONLY),
    case("session/grants-nothing", IMPLICIT_DENY, IDENTITY, principal=SESSION, session=ALL_S3),
    case("session/deny", EXPLICIT_DENY, SESSION_POLICY, principal=SESSION, identity=ALL_S3, session=doc(allow(), deny("s3:Get*"))),
    case("session/several-policies-union", ALLOW, principal=SESSION, identity=ALL_S3, session=[EC2_ONLY, doc(allow("s3:GetObject"))]),
    case("session/resource-policy-names-session", ALLOW, RESOURCE, principal=SESSION, session=EC2_ONLY, resource_policies=grant(SESSION.arn)),
    case("session/resource-policy-names-role-limited", IMPLICIT_DENY, SESSION_POLICY, principal=SESSION, session=EC2_ONLY,
         resource_policies=grant(ROLE)),
    case("session/resource-policy-names-role-within", ALLOW, principal=SESSION, session=ALL_S3, resource_policies=grant(ROLE)),
    case("session/boundary-and-session", IMPLICIT_DENY, BOUNDARY, principal=BOUNDED_SESSION, identity=ALL_S3, session=ALL_S3, boundary=EC2_ONLY),
    case("federated/identity-of-user-within-session", ALLOW, IDENTITY, principal=FED, identity=ALL_S3, session=ALL_S3),
    case("federated/session-limits-user-policies", IMPLICIT_DENY, SESSION_POLICY, principal=FED, identity=ALL_S3, session=EC2_ONLY),
    case("federated/resource-policy-names-session", ALLOW, RESOURCE, principal=FED, session=EC2_ONLY, resource_policies=grant(FED.arn)),
    case(
        "federated/resource-policy-names-user-limited", IMPLICIT_DENY, SESSION_POLICY, principal=FED, session=EC2_ONLY,
        resource_policies=grant(BOB.arn),
    ),
    case("federated/resource-policy-names-user-within", ALLOW, RESOURCE, principal=FED, session=ALL_S3, resource_policies=grant(BOB.arn)),
]  # fmt: skip

# --- Cross-account access (IAM: "Cross-account policy evaluation logic": the resource policy of
# the trusting account and the caller's own policies must both allow) ------------------------

CROSS_ACCOUNT_CASES = [
    case("cross/both-sides", ALLOW, RESOURCE, principal=EVE, identity=ALL_S3, resource_policies=grant(EVE.arn)),
    case("cross/resource-only", IMPLICIT_DENY, IDENTITY, principal=EVE, resource_policies=grant(EVE.arn)),
    case("cross/identity-only", IMPLICIT_DENY, RESOURCE, principal=EVE, identity=ALL_S3),
    case("cross/account-principal", ALLOW, principal=EVE, identity=ALL_S3, resource_policies=grant(B)),
    case("cross/account-principal-needs-identity", IMPLICIT_DENY, IDENTITY, principal=EVE, resource_policies=grant(B)),
    case("cross/role-arn-covers-session", ALLOW, principal=B_SESSION, identity=ALL_S3, resource_policies=grant(B_ROLE)),
    case("cross/session-arn-still-needs-identity", IMPLICIT_DENY, IDENTITY, principal=B_SESSION, resource_policies=grant(B_SESSION.arn)),
    case(
        "cross/boundary-limits-even-direct-grant", IMPLICIT_DENY, BOUNDARY,
        principal=Principal.from_arn(B_SESSION.arn, has_boundary=True), identity=ALL_S3, boundary=EC2_ONLY,
        resource_policies=grant(B_SESSION.arn),
    ),
    case(
        "cross/session-policy-limits-even-direct-grant", IMPLICIT_DENY, SESSION_POLICY, principal=B_SESSION,
        identity=ALL_S3, session=EC2_ONLY, resource_policies=grant(B_SESSION.arn),
    ),
    case("cross/public-resource-needs-identity", IMPLICIT_DENY, IDENTITY, principal=EVE, resource_policies=grant("*")),
    case("cross/public-resource-with-identity", ALLOW, principal=EVE, identity=ALL_S3, resource_policies=grant("*")),
    case("cross/caller-scp-applies", EXPLICIT_DENY, SCP, principal=EVE, identity=ALL_S3, resource_policies=grant(EVE.arn),
         scps=[[FULL, doc(deny("s3:*"))]]),
    case("cross/grant-to-owner-account-not-caller", IMPLICIT_DENY, RESOURCE, principal=EVE, identity=ALL_S3, resource_policies=grant(A)),
    case("cross/caller-deny", EXPLICIT_DENY, IDENTITY, principal=EVE, identity=[ALL_S3, doc(deny("s3:GetObject"))],
         resource_policies=grant(EVE.arn)),
    case("cross/root-of-caller-account", ALLOW, principal=ROOT_B, resource_policies=grant(B)),
    case("cross/root-without-grant", IMPLICIT_DENY, RESOURCE, principal=ROOT_B),
    case(
        "cross/queue-arn-account", ALLOW, principal=EVE, owner=None, action="sqs:SendMessage", resource=QUEUE,
        identity=doc(allow("sqs:*")), resource_policies=grant(B, action="sqs:SendMessage", resource=QUEUE),
    ),
]  # fmt: skip

# --- Anonymous callers, AWS service principals, role trust policies ---------------------------

TRUST = "arn:aws:iam::111122223333:role/Dev"
OTHER_CASES = [
    case("anonymous/no-resource-policy", IMPLICIT_DENY, RESOURCE, principal=ANON),
    case("anonymous/identity-policies-ignored", IMPLICIT_DENY, principal=ANON, identity=EVERYTHING),
    case(
        "anonymous/public-read-with-condition", IMPLICIT_DENY, principal=ANON,
        resource_policies=grant("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), context={"aws:SourceIp": "192.0.2.1"},
    ),
    case(
        "service/source-arn-matches", ALLOW, RESOURCE, principal=SNS, action="sqs:SendMessage", resource=QUEUE,
        resource_policies=grant({"Service": "sns.amazonaws.com"}, action="sqs:SendMessage", resource=QUEUE,
                                Condition={"ArnEquals": {"aws:SourceArn": TOPIC}}),
        context={"aws:SourceArn": TOPIC},
    ),
    case(
        "service/source-arn-other", IMPLICIT_DENY, principal=SNS, action="sqs:SendMessage", resource=QUEUE,
        resource_policies=grant({"Service": "sns.amazonaws.com"}, action="sqs:SendMessage", resource=QUEUE,
                                Condition={"ArnEquals": {"aws:SourceArn": TOPIC}}),
        context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{B}:t"},
    ),
    case("service/identity-policies-ignored", IMPLICIT_DENY, principal=SNS, identity=EVERYTHING),
    case(
        "trust/same-account-user", ALLOW, RESOURCE, action="sts:AssumeRole", resource=TRUST,
        resource_policies=doc({"Effect": "Allow", "Principal": {"AWS": BOB.arn}, "Action": "sts:AssumeRole"}),
    ),
    case(
        "trust/cross-account-needs-identity", IMPLICIT_DENY, IDENTITY, principal=EVE, action="sts:AssumeRole", resource=TRUST,
        resource_policies=doc({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole"}),
    ),
    case(
        "trust/cross-account-with-identity", ALLOW, principal=EVE, action="sts:AssumeRole", resource=TRUST,
        identity=doc(allow("sts:AssumeRole", TRUST)),
        resource_policies=doc({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole"}),
    ),
    case(
        "trust/external-id", IMPLICIT_DENY, principal=EVE, action="sts:AssumeRole", resource=TRUST, identity=EVERYTHING,
        resource_policies=doc({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole",
                               "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}),
        context={"sts:ExternalId": "wrong"},
    ),
    case(
        "trust/web-identity", ALLOW, RESOURCE, principal=WEB, action="sts:AssumeRoleWithWebIdentity", resource=TRUST,
        resource_policies=doc({"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
                               "Action": "sts:AssumeRoleWithWebIdentity",
                               "Condition": {"StringEquals": {"accounts.google.com:aud": "app-1"}}}),
        context={"accounts.google.com:aud": "app-1"},
    ),
    case(
        "trust/web-identity-other-provider", IMPLICIT_DENY, principal=WEB, action="sts:AssumeRoleWithWebIdentity", resource=TRUST,
        resource_policies=doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                               "Action": "sts:AssumeRoleWithWebIdentity"}),
    ),
]  # fmt: skip

ALL_CASES = [
    *ACTION_CASES, *RESOURCE_CASES, *STRING_CASES, *NUMERIC_DATE_BOOL_CASES, *IP_ARN_NULL_CASES, *IF_EXISTS_CASES, *SET_CASES,
    *VARIABLE_CASES, *GLOBAL_KEY_CASES, *PRINCIPAL_CASES, *SINGLE_ACCOUNT_CASES, *ORG_CASES, *BOUNDARY_CASES,
    *SESSION_CASES, *CROSS_ACCOUNT_CASES, *OTHER_CASES,
]  # fmt: skip


@pytest.mark.parametrize(("expect", "by", "spec"), ALL_CASES)
def test_table(expect: str, by: str | None, spec: dict[str, Any]) -> None:
    spec = dict(spec)
    principal = spec.pop("principal", BOB)
    request = AuthRequest(
        principal,
        spec.pop("action", "s3:GetObject"),
        spec.pop("resource", OBJECT),
        context=spec.pop("context", {}),
        resource_account=spec.pop("owner", A),
        now=NOW,
    )
    policies = {
        "identity": spec.pop("identity", None),
        "resource": spec.pop("resource_policies", None),
        "boundary": spec.pop("boundary", None),
        "session": spec.pop("session", None),
        "scps": spec.pop("scps", None),
        "rcps": spec.pop("rcps", None),
    }
    assert not spec, f"unknown case fields {sorted(spec)}"
    decision = evaluate(request, **policies)
    assert decision.outcome == expect, decision.reason
    assert decision.allowed == (expect == ALLOW)
    if by is not None:
        assert decision.policy_type == by, decision.reason


def test_table_is_large_and_ids_unique() -> None:
    ids = [param.id for param in ALL_CASES]
    assert len(ids) >= 150
    assert len(ids) == len(set(ids))


# --- AccessDenied wording (IAM: "Troubleshoot access denied error messages") ----------------------

HEAD = f"User: {BOB.arn} is not authorized to perform: s3:GetObject on resource: {OBJECT}"


@pytest.mark.parametrize(
    ("policies", "tail"),
    [
        pytest.param({"identity": doc(deny())}, "with an explicit deny in an identity-based policy", id="explicit-identity"),
        pytest.param({"identity": ALL_S3, "resource": grant("*", effect="Deny")}, "with an explicit deny in a resource-based policy", id="explicit-resource"),
        pytest.param({"identity": ALL_S3, "scps": [[doc(deny())]]}, "with an explicit deny in a service control policy", id="explicit-scp"),
        pytest.param({"identity": ALL_S3, "boundary": doc(deny())}, "with an explicit deny in a permissions boundary", id="explicit-boundary"),
        pytest.param({"identity": ALL_S3, "session": doc(deny())}, "with an explicit deny in a session policy", id="explicit-session"),
        pytest.param({}, "because no identity-based policy allows the s3:GetObject action", id="implicit-identity"),
        pytest.param({"identity": ALL_S3, "boundary": EC2_ONLY}, "because no permissions boundary allows the s3:GetObject action", id="implicit-boundary"),
        pytest.param({"identity": ALL_S3, "session": EC2_ONLY}, "because no session policy allows the s3:GetObject action", id="implicit-session"),
        pytest.param({"identity": ALL_S3, "scps": [[EC2_ONLY]]}, "because no service control policy allows the s3:GetObject action", id="implicit-scp"),
    ],
)  # fmt: skip
def test_denial_message(policies: dict[str, Any], tail: str) -> None:
    request = AuthRequest(BOB, "s3:GetObject", OBJECT, resource_account=A, now=NOW)
    decision = evaluate(request, **policies)
    assert not decision
    assert decision.message(BOB.arn, "s3:GetObject", OBJECT) == f"{HEAD} {tail}"
