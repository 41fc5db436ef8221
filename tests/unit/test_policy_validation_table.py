"""Policy validation against IAM's documented rules: what each use of a document must refuse (with
the message the IAM API returns as MalformedPolicyDocument) and what it must accept.

Case ids are ``<kind>/<rule>``; the rules come from the IAM User Guide's "IAM JSON policy element
reference" and "IAM JSON policy grammar" pages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pycloud.iam.policy import PolicyError, parse_policy

A = "111122223333"


def doc(*statements: Any, version: str | None = "2012-10-17", **top: Any) -> dict:
    out: dict[str, Any] = {"Statement": list(statements), **top}
    if version is not None:
        out["Version"] = version
    return out


def stmt(**fields: Any) -> dict:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def rstmt(**fields: Any) -> dict:
    """A resource-policy statement (names a principal)."""
    return stmt(**{"Principal": {"AWS": f"arn:aws:iam::{A}:root"}, **fields})


def bad(case_id: str, kind: str | None, source: Any, message: str) -> Any:
    return pytest.param(kind, source, message, id=case_id)


REFUSED = [
    # Which elements each use allows
    bad("identity/no-principal", "identity", doc(stmt(Principal="*")), "Policy document should not specify a principal."),
    bad("identity/no-not-principal", "identity", doc(stmt(Effect="Deny", NotPrincipal={"AWS": A})), "Policy document should not specify a principal."),
    bad("boundary/no-principal", "boundary", doc(stmt(Principal="*")), "Policy document should not specify a principal."),
    bad("session/no-principal", "session", doc(stmt(Principal="*")), "Policy document should not specify a principal."),
    bad("scp/no-principal", "scp", doc(stmt(Principal="*")), "Policy document should not specify a principal."),
    bad("identity/needs-resource", "identity", doc(stmt(Resource=None)), "Policy statement must contain resources."),
    bad("resource/needs-principal", "resource", doc(stmt()), "Missing required field Principal"),
    bad("resource/every-statement-needs-principal", "resource", doc(rstmt(), stmt(Sid="Two")), "Missing required field Principal"),
    bad("trust/needs-principal", "trust", doc(stmt(Resource=None, Action="sts:AssumeRole")), "Missing required field Principal"),
    bad("trust/no-resource", "trust", doc(rstmt(Action="sts:AssumeRole")), "Has prohibited field Resource"),
    bad("rcp/needs-principal", "rcp", doc(stmt()), "Missing required field Principal"),
    # Statement elements
    bad("statement/missing-effect", None, doc(stmt(Effect=None)), "Missing required field Effect"),
    bad("statement/effect-case-sensitive", None, doc(stmt(Effect="allow")), "Invalid effect: allow"),
    bad("statement/missing-action", None, doc(stmt(Action=None)), "Policy statement must contain actions."),
    bad("statement/action-and-not-action", None, doc(stmt(NotAction="s3:*")), "Statement cannot contain both Action and NotAction."),
    bad("statement/resource-and-not-resource", None, doc(stmt(NotResource="*")), "Statement cannot contain both Resource and NotResource."),
    bad(
        "statement/principal-and-not-principal", None, doc(rstmt(Effect="Deny", NotPrincipal={"AWS": A})),
        "Statement cannot contain both Principal and NotPrincipal.",
    ),
    bad("statement/unknown-element", None, doc(stmt(Actions="s3:*")), "Syntax errors in policy."),
    bad("statement/not-an-object", None, doc("Allow everything"), "Syntax errors in policy."),
    bad("statement/action-vendor-required", None, doc(stmt(Action="GetObject")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    bad("statement/action-empty-vendor", None, doc(stmt(Action=":GetObject")), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    bad("statement/action-not-string", None, doc(stmt(Action=7)), "Syntax errors in policy."),
    bad("statement/action-empty-list", None, doc(stmt(Action=[])), "Syntax errors in policy."),
    bad("statement/resource-empty-list", None, doc(stmt(Resource=[])), "Syntax errors in policy."),
    bad("statement/resource-not-arn", None, doc(stmt(Resource="bucket")), 'Resource bucket must be in ARN format or "*".'),
    bad("statement/resource-short-arn", None, doc(stmt(Resource="arn:aws:s3")), 'Resource arn:aws:s3 must be in ARN format or "*".'),
    bad(
        "statement/resource-unknown-partition", None, doc(stmt(Resource="arn:aws-moon:s3:::b")),
        'Partition "aws-moon" is not valid for resource "arn:aws-moon:s3:::b".',
    ),
    bad(
        "statement/sid-alphanumeric-in-iam", "identity", doc(stmt(Sid="read only")),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
    ),
    bad("statement/sid-unique", None, doc(stmt(Sid="One"), stmt(Sid="One")), "Statement IDs (SID) in a single policy must be unique."),
    bad("statement/sid-not-string", None, doc(stmt(Sid=1)), "Syntax errors in policy."),
    # Document elements
    bad("document/not-json", None, "{not json", "Syntax errors in policy."),
    bad("document/not-an-object", None, json.dumps([stmt()]), "Syntax errors in policy."),
    bad("document/unknown-element", None, doc(stmt(), Extra="x"), "Syntax errors in policy."),
    bad("document/invalid-version", None, doc(stmt(), version="2012-10-18"), "The policy failed legacy parsing"),
    bad("document/version-not-string", None, {"Version": 2012, "Statement": [stmt()]}, "The policy failed legacy parsing"),
    bad("document/missing-statement", None, {"Version": "2012-10-17"}, "Syntax errors in policy."),
    bad("document/empty-statement-list", None, doc(), "Syntax errors in policy."),
    bad("document/statement-string", None, {"Version": "2012-10-17", "Statement": "Allow"}, "Syntax errors in policy."),
    bad("document/id-not-string", None, doc(stmt(), Id=5), "Syntax errors in policy."),
    bad("document/not-utf8", None, b"\xff\xfe{}", "Syntax errors in policy."),
    # Principal element
    bad("principal/aws-bare-name", "resource", doc(rstmt(Principal={"AWS": "bob"})), 'Invalid principal in policy: "AWS":"bob"'),
    bad(
        "principal/aws-partial-wildcard", "resource", doc(rstmt(Principal={"AWS": f"arn:aws:iam::{A}:user/*"})),
        f'Invalid principal in policy: "AWS":"arn:aws:iam::{A}:user/*"',
    ),
    bad(
        "principal/aws-not-iam-arn", "resource", doc(rstmt(Principal={"AWS": "arn:aws:s3:::bucket"})),
        'Invalid principal in policy: "AWS":"arn:aws:s3:::bucket"',
    ),
    bad("principal/unknown-type", "resource", doc(rstmt(Principal={"Group": "admins"})), 'Invalid principal in policy: "Group"'),
    bad("principal/empty-object", "resource", doc(rstmt(Principal={})), "Invalid principal in policy"),
    bad("principal/bare-string", "resource", doc(rstmt(Principal="someone")), "Invalid principal in policy"),
    bad("principal/empty-value", "resource", doc(rstmt(Principal={"Service": ""})), 'Invalid principal in policy: "Service":""'),
    # Condition element
    bad("condition/unknown-operator", None, doc(stmt(Condition={"StringEqualz": {"aws:username": "bob"}})), "Invalid Condition type : StringEqualz"),
    bad(
        "condition/unknown-set-operator", None, doc(stmt(Condition={"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}})),
        "Invalid Condition type : ForSomeValues:StringEquals",
    ),
    bad(
        "condition/key-needs-vendor", None, doc(stmt(Condition={"StringEquals": {"username": "bob"}})),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    bad("condition/value-object", None, doc(stmt(Condition={"StringEquals": {"aws:username": {"a": 1}}})), "Syntax errors in policy."),
    bad("condition/value-null", None, doc(stmt(Condition={"StringEquals": {"aws:username": None}})), "Syntax errors in policy."),
    bad("condition/empty-value-list", None, doc(stmt(Condition={"StringEquals": {"aws:username": []}})), "Syntax errors in policy."),
    bad("condition/block-not-object", None, doc(stmt(Condition=["StringEquals"])), "Syntax errors in policy."),
    bad("condition/operator-body-not-object", None, doc(stmt(Condition={"StringEquals": "aws:username"})), "Syntax errors in policy."),
]  # fmt: skip

ACCEPTED = [
    pytest.param("identity", {"Version": "2012-10-17", "Statement": stmt()}, id="statement-single-object"),
    pytest.param("identity", doc(stmt(), version="2008-10-17"), id="version-2008"),
    pytest.param("identity", doc(stmt(), version=None), id="version-optional"),
    pytest.param("identity", doc(stmt(Sid="ReadOnly1"), Id="policy-1"), id="sid-and-id"),
    pytest.param("identity", doc(stmt(Action="*", NotResource="arn:aws:s3:::secret/*", Resource=None)), id="not-resource"),
    pytest.param("identity", doc(stmt(Action=None, NotAction=["iam:*", "organizations:*"])), id="not-action-list"),
    pytest.param("identity", doc(stmt(Resource="arn:aws:s3:::bucket/${aws:username}/*")), id="resource-variable"),
    pytest.param("identity", doc(stmt(Resource="arn:*:s3:::bucket")), id="resource-partition-wildcard"),
    pytest.param("identity", doc(stmt(Resource="arn:aws:s3:*")), id="resource-arn-prefix-wildcard"),
    pytest.param("resource", doc(rstmt(Principal="*")), id="principal-star"),
    pytest.param("resource", doc(rstmt(Principal={"AWS": A})), id="principal-account-id"),
    pytest.param("resource", doc(rstmt(Principal={"AWS": [f"arn:aws:iam::{A}:user/bob", f"arn:aws:sts::{A}:assumed-role/Dev/s"]})), id="principal-list"),
    pytest.param("resource", doc(rstmt(Principal={"Service": "sns.amazonaws.com"})), id="principal-service"),
    pytest.param("resource", doc(rstmt(Principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})), id="principal-canonical"),
    pytest.param("trust", doc(rstmt(Principal={"Federated": f"arn:aws:iam::{A}:saml-provider/corp"}, Action="sts:AssumeRoleWithSAML", Resource=None)), id="trust-federated"),
    pytest.param("resource", doc(rstmt(Principal=None, Effect="Deny", NotPrincipal={"AWS": [f"arn:aws:iam::{A}:user/bob", A]})), id="not-principal-deny"),
    pytest.param("resource", doc(rstmt(Sid="Public read")), id="resource-sid-may-have-spaces"),
    pytest.param("rcp", doc(stmt(Principal="*", Effect="Deny", Action="s3:*")), id="rcp-principal-star"),
    pytest.param("scp", doc(stmt(Action="*")), id="scp-plain"),
    pytest.param(
        "identity",
        doc(stmt(Condition={
            "StringEqualsIfExists": {"s3:x-amz-acl": "private"},
            "ForAllValues:StringLike": {"aws:TagKeys": ["app-*"]},
            "ForAnyValue:StringEquals": {"aws:TagKeys": "env"},
            "NumericLessThan": {"s3:max-keys": 10},
            "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
            "Bool": {"aws:SecureTransport": True},
            "BinaryEquals": {"s3:blob": "QmluYXJ5"},
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
            "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"},
            "Null": {"aws:TokenIssueTime": "true"},
        })),
        id="every-operator-family",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "source", "message"), REFUSED)
def test_refused(kind: str | None, source: Any, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(source if isinstance(source, str | bytes) else json.dumps(source), kind=kind)
    assert raised.value.message == message
    assert raised.value.code == "MalformedPolicyDocument"


@pytest.mark.parametrize(("kind", "source"), ACCEPTED)
def test_accepted(kind: str, source: Any) -> None:
    parsed = parse_policy(json.dumps(source), kind=kind)
    statements = source["Statement"]
    assert len(parsed.statements) == (len(statements) if isinstance(statements, list) else 1)
