"""AssumeRole through boto3: trust policies within and across accounts, ExternalId, durations,
role chaining, session policies and tags, and the credentials it returns at work."""

from __future__ import annotations

import json
import random
import string
import time

import pytest
from botocore.config import Config
from s3_helpers import code_status, declare_accounts, error_of
from sts_helpers import (
    ALLOW_ALL,
    client_of,
    make_role,
    make_user,
    policy,
    session_client,
    trust,
)

ACCOUNT_A = {"id": "731100000001", "access_key": "AKIASTSASSUMEROLE001", "secret_key": "sts-a-secret", "name": "sts-a"}
ACCOUNT_B = {"id": "731100000002", "access_key": "AKIASTSASSUMEROLE002", "secret_key": "sts-b-secret", "name": "sts-b"}
ASSUME_ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}


@pytest.fixture(scope="module")
def roots(pycloud):
    """IAM clients of two accounts' root users."""
    declare_accounts(pycloud, ACCOUNT_A, ACCOUNT_B)
    return {
        "a": pycloud.client("iam", access_key=ACCOUNT_A["access_key"], secret_key=ACCOUNT_A["secret_key"]),
        "b": pycloud.client("iam", access_key=ACCOUNT_B["access_key"], secret_key=ACCOUNT_B["secret_key"]),
    }


@pytest.fixture(scope="module")
def alice(roots):
    """A user of account A allowed to call sts:AssumeRole on anything by identity policy."""
    return make_user(roots["a"], ASSUME_ANY, prefix="alice")


def sts_of(pycloud, user):
    return client_of(pycloud, "sts", user)


def test_same_account_trust_naming_the_user_suffices(pycloud, roots):
    bob = make_user(roots["a"], None, prefix="bob")  # no identity policy at all
    role = make_role(roots["a"], trust({"AWS": bob["arn"]}))
    out = sts_of(pycloud, bob).assume_role(RoleArn=role["Arn"], RoleSessionName="bob-session")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    assert out["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{ACCOUNT_A['id']}:assumed-role/{role['RoleName']}/bob-session",
        "AssumedRoleId": f"{role['RoleId']}:bob-session",
    }
    assert "PackedPolicySize" not in out
    me = session_client(pycloud, "sts", creds).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == f"{role['RoleId']}:bob-session"
    assert me["Account"] == ACCOUNT_A["id"]


def test_role_session_gets_the_role_permissions(pycloud, roots, alice):
    role = make_role(roots["a"], trust({"AWS": alice["arn"]}),
                     policy({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))  # fmt: skip
    creds = sts_of(pycloud, alice).assume_role(RoleArn=role["Arn"], RoleSessionName="work")["Credentials"]
    iam = session_client(pycloud, "iam", creds)
    assert any(r["RoleName"] == role["RoleName"] for r in iam.list_roles()["Roles"])
    assert code_status(error_of(iam.list_users)) == ("AccessDenied", 403)


def test_root_user_cannot_assume_roles(pycloud, roots):
    role = make_role(roots["a"], trust({"AWS": f"arn:aws:iam::{ACCOUNT_A['id']}:root"}))
    sts = pycloud.client("sts", access_key=ACCOUNT_A["access_key"], secret_key=ACCOUNT_A["secret_key"])
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="root")
    assert code_status(err) == ("AccessDenied", 403)
    assert "root" in err.response["Error"]["Message"]


def test_missing_role_is_access_denied(pycloud, alice):
    arn = f"arn:aws:iam::{ACCOUNT_A['id']}:role/does-not-exist"
    err = error_of(sts_of(pycloud, alice).assume_role, RoleArn=arn, RoleSessionName="x1")
    assert code_status(err) == ("AccessDenied", 403)
    assert err.response["Error"]["Message"].startswith(
        f"User: {alice['arn']} is not authorized to perform: sts:AssumeRole on resource: {arn}"
    )


def test_trust_policy_not_naming_the_caller_denies(pycloud, roots, alice):
    other = make_user(roots["a"], None, prefix="other")
    role = make_role(roots["a"], trust({"AWS": other["arn"]}))
    err = error_of(sts_of(pycloud, alice).assume_role, RoleArn=role["Arn"], RoleSessionName="x1")
    assert code_status(err) == ("AccessDenied", 403)
    assert "sts:AssumeRole" in err.response["Error"]["Message"]


def test_cross_account_needs_trust_external_id_and_identity_policy(pycloud, roots, alice):
    role = make_role(roots["b"], trust({"AWS": f"arn:aws:iam::{ACCOUNT_A['id']}:root"},
                                       condition={"StringEquals": {"sts:ExternalId": "ext-1234"}}))  # fmt: skip
    sts = sts_of(pycloud, alice)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="x-acct", ExternalId="ext-1234")
    assert out["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_B['id']}:assumed-role/")
    me = session_client(pycloud, "sts", out["Credentials"]).get_caller_identity()
    assert me["Account"] == ACCOUNT_B["id"]
    for kwargs in ({}, {"ExternalId": "wrong-id"}):
        err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="x-acct", **kwargs)
        assert code_status(err) == ("AccessDenied", 403)
    # the trust policy alone is not enough across accounts: the caller's identity must allow too
    carol = make_user(roots["a"], None, prefix="carol")
    err = error_of(sts_of(pycloud, carol).assume_role, RoleArn=role["Arn"], RoleSessionName="x-acct",
                   ExternalId="ext-1234")  # fmt: skip
    assert code_status(err) == ("AccessDenied", 403)


def test_duration_limited_by_max_session_duration(pycloud, roots, alice):
    role = make_role(roots["a"], trust({"AWS": alice["arn"]}), MaxSessionDuration=7200)
    sts = sts_of(pycloud, alice)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7200)
    lifetime = out["Credentials"]["Expiration"].timestamp() - time.time()
    assert 7100 < lifetime <= 7200
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7201)
    assert code_status(err) == ("ValidationError", 400)
    assert "MaxSessionDuration" in err.response["Error"]["Message"]
    unchecked = pycloud.client("sts", access_key=alice["access_key"], secret_key=alice["secret_key"],
                               config=Config(parameter_validation=False, retries={"max_attempts": 1}))  # fmt: skip
    err = error_of(unchecked.assume_role, RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=899)
    assert code_status(err) == ("ValidationError", 400)


def test_role_chaining_is_limited_to_one_hour(pycloud, roots, alice):
    second = make_role(roots["a"], trust({"AWS": f"arn:aws:iam::{ACCOUNT_A['id']}:root"}), MaxSessionDuration=43200)
    first = make_role(roots["a"], trust({"AWS": alice["arn"]}), ASSUME_ANY)
    creds = sts_of(pycloud, alice).assume_role(RoleArn=first["Arn"], RoleSessionName="hop1")["Credentials"]
    chained = session_client(pycloud, "sts", creds)
    err = error_of(chained.assume_role, RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3601)
    assert code_status(err) == ("ValidationError", 400)
    assert "role chaining" in err.response["Error"]["Message"]
    out = chained.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3600)
    assert out["AssumedRoleUser"]["Arn"].endswith(f"/{second['RoleName']}/hop2")


def test_session_policy_narrows_the_role(pycloud, roots, alice):
    role = make_role(roots["a"], trust({"AWS": alice["arn"]}), ALLOW_ALL)
    narrow = policy({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"})
    out = sts_of(pycloud, alice).assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=narrow)
    assert 0 < out["PackedPolicySize"] <= 100
    iam = session_client(pycloud, "iam", out["Credentials"])
    iam.list_users()
    assert code_status(error_of(iam.list_roles)) == ("AccessDenied", 403)


def test_managed_session_policy_arns(pycloud, roots, alice):
    role = make_role(roots["a"], trust({"AWS": alice["arn"]}), ALLOW_ALL)
    arn = roots["a"].create_policy(
        PolicyName="sts-session-list-roles",
        PolicyDocument=policy({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}),
    )["Policy"]["Arn"]
    out = sts_of(pycloud, alice).assume_role(RoleArn=role["Arn"], RoleSessionName="arns", PolicyArns=[{"arn": arn}])
    iam = session_client(pycloud, "iam", out["Credentials"])
    iam.list_roles()
    assert code_status(error_of(iam.list_users)) == ("AccessDenied", 403)
    missing = f"arn:aws:iam::{ACCOUNT_A['id']}:policy/no-such-policy"
    err = error_of(sts_of(pycloud, alice).assume_role, RoleArn=role["Arn"], RoleSessionName="arns",
                   PolicyArns=[{"arn": missing}])  # fmt: skip
    assert code_status(err)[1] == 400


def test_malformed_and_oversized_session_policies(pycloud, roots, alice):
    role = make_role(roots["a"], trust({"AWS": alice["arn"]}))
    sts = sts_of(pycloud, alice)
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="bad", Policy="{not json")
    assert code_status(err) == ("MalformedPolicyDocument", 400)
    rng = random.Random(7)
    resources = []
    while len(json.dumps(resources)) < 1800:
        resources.append("arn:aws:s3:::" + "".join(rng.choices(string.ascii_letters + string.digits, k=40)))
    big = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources})
    assert len(big) <= 2048
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="big", Policy=big)
    assert code_status(err) == ("PackedPolicyTooLarge", 400)
    assert "% of allotted space" in err.response["Error"]["Message"]
    err = error_of(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="big", Policy="{" + " " * (2049 - len(big)) + big[1:])
    assert code_status(err) == ("ValidationError", 400)


def test_session_tags_need_tag_session(pycloud, roots, alice):
    tags = [{"Key": "team", "Value": "blue"}]
    plain = make_role(roots["a"], trust({"AWS": alice["arn"]}))
    err = error_of(sts_of(pycloud, alice).assume_role, RoleArn=plain["Arn"], RoleSessionName="tg", Tags=tags)
    assert code_status(err) == ("AccessDenied", 403)
    assert "sts:TagSession" in err.response["Error"]["Message"]
    # the session's tag is the principal tag its permissions test
    tagged = make_role(
        roots["a"], trust({"AWS": alice["arn"]}, ["sts:AssumeRole", "sts:TagSession"]),
        policy({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}),
    )  # fmt: skip
    sts = sts_of(pycloud, alice)
    out = sts.assume_role(RoleArn=tagged["Arn"], RoleSessionName="tg", Tags=tags)
    session_client(pycloud, "iam", out["Credentials"]).list_users()
    red = sts.assume_role(RoleArn=tagged["Arn"], RoleSessionName="tg", Tags=[{"Key": "team", "Value": "red"}])
    assert code_status(error_of(session_client(pycloud, "iam", red["Credentials"]).list_users))[0] == "AccessDenied"


def test_transitive_tags_carry_over_to_chained_sessions(pycloud, roots, alice):
    condition = {"StringEquals": {"aws:PrincipalTag/project": "apollo"}}
    second = make_role(
        roots["a"], trust({"AWS": f"arn:aws:iam::{ACCOUNT_A['id']}:root"}, ["sts:AssumeRole", "sts:TagSession"]),
        policy({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": condition}),
    )  # fmt: skip
    first = make_role(roots["a"], trust({"AWS": alice["arn"]}, ["sts:AssumeRole", "sts:TagSession"]), ASSUME_ANY)
    hop1 = sts_of(pycloud, alice).assume_role(
        RoleArn=first["Arn"], RoleSessionName="hop1", Tags=[{"Key": "project", "Value": "apollo"}],
        TransitiveTagKeys=["project"],
    )  # fmt: skip
    hop2 = session_client(pycloud, "sts", hop1["Credentials"]).assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    session_client(pycloud, "iam", hop2["Credentials"]).list_users()


def test_source_identity_is_reported_and_needs_permission(pycloud, roots, alice):
    plain = make_role(roots["a"], trust({"AWS": alice["arn"]}))
    sts = sts_of(pycloud, alice)
    err = error_of(sts.assume_role, RoleArn=plain["Arn"], RoleSessionName="si", SourceIdentity="alice-id")
    assert code_status(err) == ("AccessDenied", 403)
    allowed = make_role(roots["a"], trust({"AWS": alice["arn"]}, ["sts:AssumeRole", "sts:SetSourceIdentity"]))
    out = sts.assume_role(RoleArn=allowed["Arn"], RoleSessionName="si", SourceIdentity="alice-id")
    assert out["SourceIdentity"] == "alice-id"
