"""The decision logic: explicit deny, SCP/RCP, boundaries, session policies, same/cross account."""

import json
from datetime import UTC, datetime

import pytest

from pycloud.iam.policy import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    AuthRequest,
    NamedPolicy,
    PolicyError,
    Principal,
    evaluate,
)
from pycloud.iam.policy.evaluate import IDENTITY, RESOURCE

A = "111122223333"
B = "444455556666"
NOW = datetime(2024, 6, 1, tzinfo=UTC)
BOB = Principal.from_arn(f"arn:aws:iam::{A}:user/bob", user_id="AIDABOB")
SESSION = Principal.from_arn(f"arn:aws:sts::{A}:assumed-role/Dev/alice", user_id="AROADEV:alice")
FOREIGN = Principal.from_arn(f"arn:aws:iam::{B}:user/eve")
FOREIGN_SESSION = Principal.from_arn(f"arn:aws:sts::{B}:assumed-role/Reader/s1")
BUCKET = "arn:aws:s3:::bucket"
OBJECT = "arn:aws:s3:::bucket/key"
QUEUE = f"arn:aws:sqs:us-east-1:{A}:q"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="s3:*", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:*", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal, action="s3:GetObject", resource=OBJECT, effect="Allow"):
    return policy({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource})


def request(principal=BOB, action="s3:GetObject", resource=OBJECT, owner=A, **context):
    return AuthRequest(principal, action, resource, context=context, resource_account=owner, now=NOW)


# --- identity policies and explicit deny --------------------------------------------------------


def test_implicit_deny_by_default():
    decision = evaluate(request())
    assert decision.outcome == IMPLICIT_DENY and not decision
    assert decision.message(BOB.arn, "s3:GetObject", OBJECT) == (
        f"User: {BOB.arn} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
        "because no identity-based policy allows the s3:GetObject action"
    )


def test_identity_allow_reports_statement():
    decision = evaluate(request(), identity=[NamedPolicy("ReadOnly", policy({"Sid": "Read", **allow("s3:Get*")}))])
    assert decision.allowed and decision.outcome == ALLOW
    assert (decision.statement.policy_name, decision.statement.sid, decision.statement.index) == ("ReadOnly", "Read", 0)


def test_explicit_deny_wins_over_allow_in_any_policy():
    decision = evaluate(
        request(),
        identity=[
            policy(allow()),
            NamedPolicy("Guard", policy(allow("ec2:*"), {"Sid": "NoGet", **deny("s3:GetObject")})),
        ],
    )
    assert decision.outcome == EXPLICIT_DENY
    assert decision.statement.sid == "NoGet" and decision.statement.policy_name == "Guard"
    assert decision.message(BOB.arn, "s3:GetObject", OBJECT).endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_deny_in_resource_policy_beats_identity_allow():
    decision = evaluate(request(), identity=policy(allow()), resource=grant({"AWS": BOB.arn}, effect="Deny"))
    assert decision.outcome == EXPLICIT_DENY and decision.policy_type == "resource-based policy"


def test_conditional_deny():
    deny_insecure = policy(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert evaluate(request(**{"aws:SecureTransport": True}), identity=deny_insecure).allowed
    assert evaluate(request(**{"aws:SecureTransport": False}), identity=deny_insecure).outcome == EXPLICIT_DENY


def test_deny_with_not_action_and_not_resource():
    guard = policy(allow("*"), {"Effect": "Deny", "NotAction": "s3:*", "NotResource": f"arn:aws:sqs:*:{A}:*"})
    assert evaluate(request(action="s3:PutObject"), identity=guard).allowed
    assert evaluate(request(action="sqs:SendMessage", resource=QUEUE), identity=guard).allowed
    assert evaluate(request(action="ec2:RunInstances", resource="*"), identity=guard).outcome == EXPLICIT_DENY


def test_source_ip_restriction_from_docs():
    # "Deny access to AWS based on the source IP" example
    doc = policy(
        allow("*"), deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}})
    )
    assert evaluate(request(**{"aws:SourceIp": "203.0.113.10"}), identity=doc).allowed
    assert not evaluate(request(**{"aws:SourceIp": "198.51.100.1"}), identity=doc).allowed


def test_malformed_policy_raises():
    with pytest.raises(PolicyError):
        evaluate(request(), identity="{bad")


# --- root ------------------------------------------------------------------------------------------


def test_root_of_owning_account_needs_no_policy():
    root = Principal.root(A)
    assert evaluate(request(root)).allowed
    assert evaluate(request(root), identity=policy(deny())).allowed is False  # explicit deny still applies


def test_scp_binds_member_account_root():
    root = Principal.root(A)
    assert not evaluate(request(root), scps=[[policy(allow("ec2:*"))]]).allowed
    assert evaluate(request(root), scps=[[policy(allow("*"))]]).allowed


# --- SCPs and RCPs ------------------------------------------------------------------------------------


FULL = policy(allow("*"))


def test_scp_must_allow_at_every_level():
    identity = policy(allow())
    assert evaluate(request(), identity=identity, scps=[[FULL], [FULL, policy(deny("ec2:*"))]]).allowed
    decision = evaluate(request(), identity=identity, scps=[[FULL], [policy(allow("ec2:*"))]])
    assert decision.outcome == IMPLICIT_DENY and decision.policy_type == "service control policy"
    assert "because no service control policy allows" in decision.message(BOB.arn, "s3:GetObject", OBJECT)


def test_scp_deny_and_scp_alone_grants_nothing():
    assert (
        evaluate(request(), identity=policy(allow()), scps=[[FULL, policy(deny("s3:Get*"))]]).outcome == EXPLICIT_DENY
    )
    assert not evaluate(request(), scps=[[FULL]]).allowed


def test_scp_single_policy_levels():
    assert evaluate(request(), identity=policy(allow()), scps=[FULL, FULL]).allowed


def test_rcp_limits_resource_access():
    rcp_full = policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    rcp_no_s3 = policy({"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"})
    assert evaluate(request(), identity=policy(allow()), rcps=[[rcp_full]]).allowed
    assert evaluate(request(), identity=policy(allow()), rcps=[[rcp_no_s3]]).policy_type == "resource control policy"


# --- boundaries and session policies -----------------------------------------------------------------


def test_permissions_boundary_intersects_identity():
    identity = policy(allow("*"))
    boundary = policy(allow(["s3:*", "cloudwatch:*"]))
    assert evaluate(request(), identity=identity, boundary=boundary).allowed
    decision = evaluate(request(action="iam:CreateUser", resource="*"), identity=identity, boundary=boundary)
    assert decision.policy_type == "permissions boundary" and not decision
    # the boundary alone grants nothing
    assert evaluate(request(), boundary=boundary).policy_type == "identity-based policy"


def test_session_policy_intersects_role_permissions():
    role_policy = policy(allow("*"))
    session = [policy(allow("s3:GetObject")), policy(allow("sqs:*"))]  # union of session policies
    assert evaluate(request(SESSION), identity=role_policy, session=session).allowed
    assert evaluate(
        request(SESSION, action="sqs:SendMessage", resource=QUEUE), identity=role_policy, session=session
    ).allowed
    decision = evaluate(request(SESSION, action="s3:PutObject"), identity=role_policy, session=session)
    assert decision.policy_type == "session policy" and not decision
    assert not evaluate(request(SESSION), session=session).allowed


# --- same-account resource policies ---------------------------------------------------------------------


def test_same_account_union_of_identity_and_resource_policy():
    # IAM User Guide: Carlos's identity policy allows reading, the bucket policy allows writing.
    identity = policy(allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]))
    bucket = grant({"AWS": BOB.arn}, "s3:PutObject", "arn:aws:s3:::bucket/*")
    assert (
        evaluate(request(action="s3:GetObject"), identity=identity, resource=bucket).policy_type
        == "identity-based policy"
    )
    put = evaluate(request(action="s3:PutObject"), identity=identity, resource=bucket)
    assert put.allowed and put.policy_type == "resource-based policy"
    assert not evaluate(request(action="s3:DeleteObject"), identity=identity, resource=bucket).allowed


def test_resource_policy_naming_user_is_not_limited_by_boundary():
    boundary = policy(allow("ec2:*"))
    assert evaluate(request(), resource=grant({"AWS": BOB.arn}), boundary=boundary).allowed
    assert not evaluate(request(), identity=policy(allow()), boundary=boundary).allowed


def test_resource_policy_naming_session_bypasses_boundary_and_session_policy():
    boundary = policy(allow("ec2:*"))
    session = policy(allow("ec2:*"))
    rbp = grant({"AWS": SESSION.arn})
    assert evaluate(request(SESSION), resource=rbp, boundary=boundary, session=session).allowed


def test_resource_policy_naming_role_is_limited_by_boundary_and_session_policy():
    rbp = grant({"AWS": f"arn:aws:iam::{A}:role/Dev"})
    assert evaluate(request(SESSION), resource=rbp).allowed  # no identity policy needed
    assert evaluate(request(SESSION), resource=rbp, session=policy(allow("ec2:*"))).policy_type == "session policy"
    assert (
        evaluate(request(SESSION), resource=rbp, boundary=policy(allow("ec2:*"))).policy_type == "permissions boundary"
    )
    other_role = grant({"AWS": f"arn:aws:iam::{A}:role/Ops"})
    assert not evaluate(request(SESSION), resource=other_role).allowed


def test_session_role_arn_with_path():
    principal = Principal.from_arn(
        f"arn:aws:sts::{A}:assumed-role/Dev/alice", role_arn=f"arn:aws:iam::{A}:role/team/Dev"
    )
    assert evaluate(request(principal), resource=grant({"AWS": f"arn:aws:iam::{A}:role/team/Dev"})).allowed


def test_account_principal_delegates_to_identity_policies():
    rbp = grant({"AWS": A})
    assert not evaluate(request(), resource=rbp).allowed
    assert evaluate(request(), resource=rbp, identity=policy(allow())).allowed


def test_public_resource_policy_same_account():
    rbp = grant("*")
    assert evaluate(request(), resource=rbp).allowed
    assert not evaluate(request(), resource=rbp, boundary=policy(allow("ec2:*"))).allowed


def test_resource_policy_statement_conditions_and_resources():
    rbp = policy({
        "Effect": "Allow", "Principal": {"AWS": BOB.arn}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/public/*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    })  # fmt: skip
    assert evaluate(
        request(resource="arn:aws:s3:::bucket/public/a", **{"aws:SourceIp": "10.2.3.4"}), resource=rbp
    ).allowed
    assert not evaluate(
        request(resource="arn:aws:s3:::bucket/public/a", **{"aws:SourceIp": "192.0.2.1"}), resource=rbp
    ).allowed
    assert not evaluate(
        request(resource="arn:aws:s3:::bucket/private/a", **{"aws:SourceIp": "10.2.3.4"}), resource=rbp
    ).allowed


# --- cross-account ------------------------------------------------------------------------------------


def test_cross_account_needs_both_sides():
    identity = policy(allow("s3:GetObject", OBJECT))
    rbp = grant({"AWS": B})
    assert evaluate(request(FOREIGN), identity=identity, resource=rbp).allowed
    only_identity = evaluate(request(FOREIGN), identity=identity)
    assert only_identity.policy_type == "resource-based policy" and not only_identity
    only_resource = evaluate(request(FOREIGN), resource=grant({"AWS": FOREIGN.arn}))
    assert only_resource.policy_type == "identity-based policy" and not only_resource


def test_cross_account_resource_policy_for_other_account_does_not_apply():
    identity = policy(allow())
    assert not evaluate(request(FOREIGN), identity=identity, resource=grant({"AWS": "999988887777"})).allowed


def test_cross_account_role_session_bounded_by_its_session_policy():
    identity = policy(allow())
    rbp = grant({"AWS": FOREIGN_SESSION.arn})
    assert evaluate(request(FOREIGN_SESSION), identity=identity, resource=rbp).allowed
    assert not evaluate(
        request(FOREIGN_SESSION), identity=identity, resource=rbp, session=policy(allow("sqs:*"))
    ).allowed


def test_cross_account_root_and_scp():
    root_b = Principal.root(B)
    rbp = grant({"AWS": B})
    assert evaluate(request(root_b), resource=rbp).allowed
    assert not evaluate(request(root_b)).allowed
    assert not evaluate(request(root_b), resource=rbp, scps=[[policy(allow("ec2:*"))]]).allowed


def test_resource_account_from_arn():
    identity = policy(allow("sqs:*"))
    foreign_queue = f"arn:aws:sqs:us-east-1:{B}:q"
    assert evaluate(AuthRequest(BOB, "sqs:SendMessage", QUEUE, now=NOW), identity=identity).allowed
    assert not evaluate(AuthRequest(BOB, "sqs:SendMessage", foreign_queue, now=NOW), identity=identity).allowed


# --- anonymous and service principals -------------------------------------------------------------------


def test_anonymous_needs_public_resource_policy():
    anon = Principal.anonymous()
    assert evaluate(request(anon), resource=grant("*")).allowed
    assert evaluate(request(anon), resource=grant({"AWS": "*"})).allowed
    assert not evaluate(request(anon), resource=grant({"AWS": A})).allowed
    assert not evaluate(request(anon), identity=policy(allow())).allowed
    assert not evaluate(request(anon)).allowed


def test_anonymous_condition_on_principal_type():
    rbp = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECT,
                  "Condition": {"StringEquals": {"aws:PrincipalType": "Anonymous"}}})  # fmt: skip
    assert evaluate(request(Principal.anonymous()), resource=rbp).allowed
    assert not evaluate(request(BOB), resource=rbp).allowed


def test_service_principal():
    rbp = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": QUEUE,
        }
    )
    assert evaluate(request(Principal.aws_service("sns.amazonaws.com"), "sqs:SendMessage", QUEUE), resource=rbp).allowed
    assert not evaluate(
        request(Principal.aws_service("events.amazonaws.com"), "sqs:SendMessage", QUEUE), resource=rbp
    ).allowed
    assert not evaluate(request(BOB, "sqs:SendMessage", QUEUE), resource=rbp).allowed


def test_trust_policy_federated():
    trust = policy({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity"})  # fmt: skip
    idp = Principal("federated", arn="cognito-identity.amazonaws.com")
    role = f"arn:aws:iam::{A}:role/Web"
    assert evaluate(AuthRequest(idp, "sts:AssumeRoleWithWebIdentity", role, now=NOW), resource=trust).allowed
    other = Principal("federated", arn="accounts.google.com")
    assert not evaluate(AuthRequest(other, "sts:AssumeRoleWithWebIdentity", role, now=NOW), resource=trust).allowed


# --- NotPrincipal --------------------------------------------------------------------------------------


def not_principal_deny(*arns):
    return policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": list(arns)}, "Action": "s3:*", "Resource": "*"},
    )


def test_not_principal_needs_account_and_session_listed():
    role = f"arn:aws:iam::{A}:role/Dev"
    root = f"arn:aws:iam::{A}:root"
    assert evaluate(request(SESSION), resource=not_principal_deny(SESSION.arn, role, root)).allowed
    assert evaluate(request(SESSION), resource=not_principal_deny(SESSION.arn)).outcome == EXPLICIT_DENY
    assert evaluate(request(BOB), resource=not_principal_deny(BOB.arn, root)).allowed
    assert evaluate(request(BOB), resource=not_principal_deny(BOB.arn)).outcome == EXPLICIT_DENY
    assert evaluate(request(Principal.anonymous()), resource=not_principal_deny(BOB.arn, root)).outcome == EXPLICIT_DENY


def test_not_principal_deny_always_applies_with_a_boundary():
    bounded = Principal.from_arn(BOB.arn, has_boundary=True)
    root = f"arn:aws:iam::{A}:root"
    decision = evaluate(request(bounded), resource=not_principal_deny(BOB.arn, root), boundary=policy(allow("*")))
    assert decision.outcome == EXPLICIT_DENY


# --- variables through evaluate ------------------------------------------------------------------------


def test_home_directory_policy_from_docs():
    doc = policy(
        allow(
            "s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}
        ),
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket/home/${aws:username}/*"),
    )
    assert evaluate(
        request(action="s3:ListBucket", resource=BUCKET, **{"s3:prefix": "home/bob/x"}), identity=doc
    ).allowed
    assert not evaluate(
        request(action="s3:ListBucket", resource=BUCKET, **{"s3:prefix": "home/eve/"}), identity=doc
    ).allowed
    assert evaluate(request(action="s3:PutObject", resource="arn:aws:s3:::bucket/home/bob/f"), identity=doc).allowed
    assert not evaluate(request(action="s3:PutObject", resource="arn:aws:s3:::bucket/home/eve/f"), identity=doc).allowed


def test_principal_tag_matches_resource_tag():
    tagged = Principal.from_arn(BOB.arn, tags={"project": "apollo"})
    doc = policy(
        allow(
            "ec2:StartInstances", Condition={"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}}
        )
    )
    assert evaluate(
        request(tagged, "ec2:StartInstances", "*", **{"aws:ResourceTag/project": "apollo"}), identity=doc
    ).allowed
    assert not evaluate(
        request(tagged, "ec2:StartInstances", "*", **{"aws:ResourceTag/project": "gemini"}), identity=doc
    ).allowed
    assert not evaluate(
        request(BOB, "ec2:StartInstances", "*", **{"aws:ResourceTag/project": "apollo"}), identity=doc
    ).allowed


_ROLE = "arn:aws:iam::111111111111:role/R"
_USER = Principal.from_arn("arn:aws:iam::111111111111:user/alice")
_MAY_ASSUME = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'


def _trust(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


@pytest.mark.parametrize(
    ("trust", "identity", "outcome", "policy_type"),
    [
        (_trust("arn:aws:iam::111111111111:root"), _MAY_ASSUME, ALLOW, IDENTITY),  # account named: both sides
        (_trust("arn:aws:iam::111111111111:root"), None, IMPLICIT_DENY, IDENTITY),
        (_trust("arn:aws:iam::222222222222:root"), _MAY_ASSUME, IMPLICIT_DENY, RESOURCE),  # identity alone never
        (_trust("arn:aws:iam::111111111111:user/alice"), None, ALLOW, RESOURCE),  # the caller named: enough
    ],
)
def test_trust_policy_must_allow_even_within_the_account(trust, identity, outcome, policy_type):
    request = AuthRequest(_USER, "sts:AssumeRole", _ROLE)
    decision = evaluate(request, identity=identity, resource=trust, resource_required=True)
    assert (decision.outcome, decision.policy_type) == (outcome, policy_type)
    if identity is not None and outcome == IMPLICIT_DENY:
        # the same request against an ordinary resource policy: identity policies alone allow
        assert evaluate(request, identity=identity, resource=trust).allowed
