"""IAM policies enforced on every request: identity policies, groups, explicit denies, boundaries,
resource policies across accounts, key status, role sessions, EC2's encoded denials, and the policy
simulator agreeing with live enforcement. Each test acts as IAM users of a dedicated account."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from s3_helpers import code_status, declare_accounts, error_of, unique

OWNER = {"id": "737373737373", "access_key": "AKIAENFORCEOWNER0001", "secret_key": "enforce-owner", "name": "enforce"}
OTHER = {"id": "848484848484", "access_key": "AKIAENFORCEOTHER0001", "secret_key": "enforce-other", "name": "other"}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


class Account:
    """Clients of one account's root, and IAM users made in it."""

    def __init__(self, server: Any, spec: dict[str, str]) -> None:
        self.server = server
        self.spec = spec
        self.id = spec["id"]
        self.iam = self.client("iam")

    def client(self, service: str, key: tuple[str, str] | None = None, token: str | None = None) -> Any:
        access, secret = key or (self.spec["access_key"], self.spec["secret_key"])
        extra = {"aws_session_token": token} if token else {}
        return self.server.client(service, access_key=access, secret_key=secret, **extra)

    def user(self, *inline: dict[str, Any], boundary: str | None = None) -> tuple[str, tuple[str, str]]:
        """A new IAM user with the inline policy ``inline`` (if any); its name and access key."""
        name = f"u-{uuid.uuid4().hex[:10]}"
        kwargs = {"PermissionsBoundary": boundary} if boundary else {}
        self.iam.create_user(UserName=name, **kwargs)
        if inline:
            self.iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=_doc(*inline))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return name, (key["AccessKeyId"], key["SecretAccessKey"])

    def arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.id}:user/{name}"


@pytest.fixture(scope="module")
def owner(pycloud) -> Account:
    declare_accounts(pycloud, OWNER, OTHER)
    return Account(pycloud, OWNER)


@pytest.fixture(scope="module")
def other(pycloud, owner) -> Account:
    return Account(pycloud, OTHER)


def test_user_without_policies_is_denied_with_aws_wording(owner):
    name, key = owner.user()
    err = error_of(owner.client("s3", key).list_buckets)
    assert code_status(err) == ("AccessDenied", 403)
    assert err.response["Error"]["Message"] == (
        f"User: {owner.arn(name)} is not authorized to perform: s3:ListAllMyBuckets "
        "because no identity-based policy allows the s3:ListAllMyBuckets action"
    )
    err = error_of(owner.client("sqs", key).create_queue, QueueName=unique("q"))
    assert err.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    assert "sqs:createqueue" in err.response["Error"]["Message"]
    err = error_of(owner.client("sns", key).create_topic, Name=unique("t"))
    assert code_status(err) == ("AuthorizationError", 403)
    err = error_of(owner.client("iam", key).list_users)
    assert code_status(err) == ("AccessDenied", 403)


def test_identity_policy_allows_only_what_it_names(owner):
    bucket = unique("enf")
    _, key = owner.user(_allow(["s3:CreateBucket", "s3:PutObject", "s3:GetObject"], "arn:aws:s3:::enf-*"),
                        _allow("s3:ListAllMyBuckets"))
    s3 = owner.client("s3", key)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    err = error_of(s3.delete_object, Bucket=bucket, Key="k")
    assert code_status(err) == ("AccessDenied", 403)
    assert "s3:DeleteObject" in err.response["Error"]["Message"]
    err = error_of(s3.list_objects_v2, Bucket=bucket)
    assert code_status(err) == ("AccessDenied", 403)
    # the owner's root is not bound by the user's policies
    owner.client("s3").delete_object(Bucket=bucket, Key="k")


def test_explicit_deny_in_a_group_overrides_an_allow(owner):
    name, key = owner.user(_allow("sqs:*"))
    group = f"g-{uuid.uuid4().hex[:8]}"
    owner.iam.create_group(GroupName=group)
    owner.iam.put_group_policy(GroupName=group, PolicyName="no-delete", PolicyDocument=_doc(_deny("sqs:DeleteQueue")))
    sqs = owner.client("sqs", key)
    url = sqs.create_queue(QueueName=unique("enfq"))["QueueUrl"]
    owner.iam.add_user_to_group(GroupName=group, UserName=name)
    err = error_of(sqs.delete_queue, QueueUrl=url)
    assert "explicit deny in an identity-based policy" in err.response["Error"]["Message"]
    sqs.send_message(QueueUrl=url, MessageBody="still allowed")
    owner.iam.remove_user_from_group(GroupName=group, UserName=name)  # the decision follows the change
    sqs.delete_queue(QueueUrl=url)


def test_attached_managed_policies_and_detach(owner):
    name, key = owner.user()
    sqs = owner.client("sqs", key)
    error_of(sqs.list_queues)
    owner.iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
    sqs.list_queues()
    err = error_of(sqs.create_queue, QueueName=unique("ro"))
    assert "sqs:createqueue" in err.response["Error"]["Message"]
    owner.iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
    error_of(sqs.list_queues)


def test_permissions_boundary_limits_an_administrator(owner):
    boundary = owner.iam.create_policy(PolicyName=f"b-{uuid.uuid4().hex[:8]}",
                                       PolicyDocument=_doc(_allow("sqs:*")))["Policy"]["Arn"]
    _, key = owner.user(_allow("*"), boundary=boundary)
    owner.client("sqs", key).list_queues()
    err = error_of(owner.client("sns", key).list_topics)
    assert code_status(err) == ("AuthorizationError", 403)
    assert "permissions boundary" in err.response["Error"]["Message"]


def test_conditions_read_request_context(owner):
    _, key = owner.user(_allow("sns:ListTopics", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
                        _allow("sqs:ListQueues", Condition={"Bool": {"aws:SecureTransport": "true"}}),
                        _allow("sns:CreateTopic", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}))
    sns = owner.client("sns", key)
    sns.list_topics()
    error_of(owner.client("sqs", key).list_queues)  # plain HTTP is not secure transport
    name = unique("tagged")
    sns.create_topic(Name=name, Tags=[{"Key": "team", "Value": "blue"}])
    err = error_of(sns.create_topic, Name=name + "x", Tags=[{"Key": "team", "Value": "red"}])
    assert code_status(err) == ("AuthorizationError", 403)


def test_inactive_and_deleted_keys_are_refused(owner):
    name, key = owner.user(_allow("sqs:ListQueues"))
    sqs = owner.client("sqs", key)
    sqs.list_queues()
    owner.iam.update_access_key(UserName=name, AccessKeyId=key[0], Status="Inactive")
    err = error_of(sqs.list_queues)
    assert err.response["Error"]["Code"] in ("InvalidClientTokenId", "UnrecognizedClientException")
    owner.iam.update_access_key(UserName=name, AccessKeyId=key[0], Status="Active")
    sqs.list_queues()
    owner.iam.delete_access_key(UserName=name, AccessKeyId=key[0])
    err = error_of(sqs.list_queues)  # refused, never the default account's root
    assert err.response["Error"]["Code"] in ("InvalidClientTokenId", "UnrecognizedClientException")


def test_bucket_policy_grants_another_accounts_user(owner, other):
    bucket = unique("xacct")
    owner_s3 = owner.client("s3")
    owner_s3.create_bucket(Bucket=bucket)
    owner_s3.put_object(Bucket=bucket, Key="shared", Body=b"data")
    with_identity, key = other.user(_allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    _, bare_key = other.user()
    reader, bare = other.client("s3", key), other.client("s3", bare_key)
    error_of(reader.get_object, Bucket=bucket, Key="shared")  # no bucket policy yet: the owner's side refuses
    owner_s3.put_bucket_policy(Bucket=bucket, Policy=_doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other.id}:root"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
    }))
    assert reader.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"data"
    err = error_of(bare.get_object, Bucket=bucket, Key="shared")  # cross account needs both sides
    assert code_status(err) == ("AccessDenied", 403)
    assert with_identity


def test_same_account_bucket_policy_naming_the_user_allows(owner):
    bucket = unique("named")
    owner_s3 = owner.client("s3")
    owner_s3.create_bucket(Bucket=bucket)
    owner_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    name, key = owner.user()
    owner_s3.put_bucket_policy(Bucket=bucket, Policy=_doc({
        "Effect": "Allow", "Principal": {"AWS": owner.arn(name)}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }))
    assert owner.client("s3", key).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    error_of(owner.client("s3", key).put_object, Bucket=bucket, Key="k2", Body=b"x")


def test_queue_policy_explicit_deny_binds_an_allowed_user(owner):
    _, key = owner.user(_allow("sqs:*"))
    sqs_root = owner.client("sqs")
    url = sqs_root.create_queue(QueueName=unique("denyq"))["QueueUrl"]
    arn = sqs_root.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs_root.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _doc({
        "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"StringNotEquals": {"aws:PrincipalType": "Account"}},
    })})
    sqs = owner.client("sqs", key)
    sqs.receive_message(QueueUrl=url)
    err = error_of(sqs.send_message, QueueUrl=url, MessageBody="x")
    assert "sqs:sendmessage" in err.response["Error"]["Message"].lower()
    sqs_root.send_message(QueueUrl=url, MessageBody="root is the account")


def test_ec2_denial_is_encoded_and_sts_decodes_it(owner):
    _, key = owner.user(_allow("sts:DecodeAuthorizationMessage"))
    err = error_of(owner.client("ec2", key).describe_regions)
    assert code_status(err) == ("UnauthorizedOperation", 403)
    message = err.response["Error"]["Message"]
    assert "Encoded authorization failure message: " in message
    encoded = message.rsplit("Encoded authorization failure message: ", 1)[1].strip()
    decoded = json.loads(owner.client("sts", key).decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == "ec2:DescribeRegions"


def test_simulator_agrees_with_live_enforcement(owner):
    name, key = owner.user(_allow(["sqs:ListQueues", "sns:ListTopics"]), _deny("sns:ListTopics"))
    cases = {
        "sqs:ListQueues": lambda: owner.client("sqs", key).list_queues(),
        "sns:ListTopics": lambda: owner.client("sns", key).list_topics(),
        "iam:ListUsers": lambda: owner.client("iam", key).list_users(),
    }
    simulated = owner.iam.simulate_principal_policy(PolicySourceArn=owner.arn(name), ActionNames=list(cases))
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in simulated["EvaluationResults"]}
    assert decisions == {"sqs:ListQueues": "allowed", "sns:ListTopics": "explicitDeny", "iam:ListUsers": "implicitDeny"}
    for action, call in cases.items():
        if decisions[action] == "allowed":
            call()
        else:
            error_of(call)


def test_role_session_is_bound_by_its_session_policy(owner):
    role = f"r-{uuid.uuid4().hex[:8]}"
    owner.iam.create_role(RoleName=role, AssumeRolePolicyDocument=_doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner.id}:root"}, "Action": "sts:AssumeRole"}))
    owner.iam.put_role_policy(RoleName=role, PolicyName="all-sqs", PolicyDocument=_doc(_allow(["sqs:*", "sns:*"])))
    _, key = owner.user(_allow("sts:AssumeRole", f"arn:aws:iam::{owner.id}:role/{role}"))
    creds = owner.client("sts", key).assume_role(
        RoleArn=f"arn:aws:iam::{owner.id}:role/{role}", RoleSessionName="s1",
        Policy=_doc(_allow("sqs:ListQueues")))["Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"])
    owner.client("sqs", session, creds["SessionToken"]).list_queues()
    err = error_of(owner.client("sns", session, creds["SessionToken"]).list_topics)
    assert code_status(err) == ("AuthorizationError", 403)
    assert f"assumed-role/{role}/s1" in err.response["Error"]["Message"]


def test_resource_tags_condition_queue_access(owner):
    _, key = owner.user(_allow("sqs:SendMessage", Condition={"StringEquals": {"aws:ResourceTag/env": "dev"}}))
    root = owner.client("sqs")
    dev = root.create_queue(QueueName=unique("dev"), tags={"env": "dev"})["QueueUrl"]
    prod = root.create_queue(QueueName=unique("prod"), tags={"env": "prod"})["QueueUrl"]
    sqs = owner.client("sqs", key)
    sqs.send_message(QueueUrl=dev, MessageBody="ok")
    err = error_of(sqs.send_message, QueueUrl=prod, MessageBody="no")
    assert "sqs:sendmessage" in err.response["Error"]["Message"]
    root.tag_queue(QueueUrl=prod, Tags={"env": "dev"})  # the decision follows the resource's tags
    sqs.send_message(QueueUrl=prod, MessageBody="now ok")


def test_iam_self_service_through_the_username_variable(owner):
    name, key = owner.user(_allow(["iam:GetUser", "iam:ListAccessKeys"],
                                  f"arn:aws:iam::{owner.id}:user/${{aws:username}}"))
    other, _ = owner.user()
    iam = owner.client("iam", key)
    assert iam.get_user()["User"]["UserName"] == name
    assert iam.get_user(UserName=name)["User"]["Arn"] == owner.arn(name)
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 1
    err = error_of(iam.get_user, UserName=other)
    assert code_status(err) == ("AccessDenied", 403)
    assert err.response["Error"]["Message"] == (
        f"User: {owner.arn(name)} is not authorized to perform: iam:GetUser on resource: {owner.arn(other)} "
        "because no identity-based policy allows the iam:GetUser action"
    )


def test_paths_are_part_of_the_resource(owner):
    team_user = f"t-{uuid.uuid4().hex[:8]}"
    owner.iam.create_user(UserName=team_user, Path="/team/")
    _, key = owner.user(_allow("iam:GetUser", f"arn:aws:iam::{owner.id}:user/team/*"))
    iam = owner.client("iam", key)
    assert iam.get_user(UserName=team_user)["User"]["Path"] == "/team/"
    outsider, _ = owner.user()
    error_of(iam.get_user, UserName=outsider)


def test_iam_resource_tags_condition(owner):
    trust = _doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner.id}:root"}, "Action": "sts:AssumeRole"})
    blue, red = f"blue-{uuid.uuid4().hex[:8]}", f"red-{uuid.uuid4().hex[:8]}"
    owner.iam.create_role(RoleName=blue, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "blue"}])
    owner.iam.create_role(RoleName=red, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "red"}])
    _, key = owner.user(_allow("iam:GetRole", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
                        _allow("iam:ListRoleTags", Condition={"StringEquals": {"iam:ResourceTag/team": "blue"}}))
    iam = owner.client("iam", key)
    assert iam.get_role(RoleName=blue)["Role"]["RoleName"] == blue
    assert iam.list_role_tags(RoleName=blue)["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert code_status(error_of(iam.get_role, RoleName=red)) == ("AccessDenied", 403)
    assert code_status(error_of(iam.list_role_tags, RoleName=red)) == ("AccessDenied", 403)
    owner.iam.tag_role(RoleName=red, Tags=[{"Key": "team", "Value": "blue"}])  # re-tagged: the decision follows
    iam.get_role(RoleName=red)
